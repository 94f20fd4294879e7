// The teleconsult module's page (docs/modules/teleconsult.md): the module
// kit's app (the console's shell, the module's texts, a hash router) over
// the module's screens, each loaded when first opened:
//   #/                  dashboard (agenda, groups, calendar, open requests)
//   #/requests/new      new consult request, then the routing decision
//   #/requests          requests; #/requests/<id> one request
//   #/groups            groups; #/groups/<id> one group with its members
//   #/sessions/<id>     a session (?tab=participants|availability|...)
// body[data-rendered] names the drawn screen (tests wait on it).
import { startModuleApp } from '/static/js/kit/v1.js';

const screen = (file) => () => import(`./js/${file}.js`);

await startModuleApp({
  name: 'teleconsult',
  homeText: 'nav.dashboard',
  routes: [
    { path: '/', name: 'dashboard', load: screen('dashboard') },
    { path: '/dashboard', name: 'dashboard', load: screen('dashboard') },
    { path: '/requests/new', name: 'request-new', load: screen('request-new') },
    { path: '/requests', name: 'requests', load: screen('requests') },
    { path: '/requests/:id', name: 'request', load: screen('requests') },
    { path: '/groups', name: 'groups', load: screen('groups') },
    { path: '/groups/:id', name: 'group', load: screen('groups') },
    { path: '/sessions/:id', name: 'session', load: screen('session') },
  ],
});
