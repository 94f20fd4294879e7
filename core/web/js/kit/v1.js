// The module kit, version 1: everything a module's web page (served at
// /modules/<name>/) takes from the console, in one file with one promise -
// what v1 exports keeps its name, arguments and results for as long as
// Concerto ships it; a change that would break a page is a new file,
// kit/v2.js, beside this one. Module pages import this file only, never
// the console's other files (they change with the console). The API is
// documented in docs/web-kit.md; the styles of the calendar and the PDF
// viewer are /static/css/kit/v1.css.
//
//   import { startModuleApp } from '/static/js/kit/v1.js';
//   await startModuleApp({ name: 'mymodule', routes: [
//     { path: '/', name: 'home', load: () => import('./js/home.js') },
//   ] });

// The page: shell, texts, router.
export { startModuleApp } from './app.js';
export {
  texts, loadTexts, pickLanguage, storeLanguage,
} from './texts.js';
export { language } from '../i18n.js';
export { roleLabel } from '../shell.js';

// Dates in Europe/Rome, Italian first.
export {
  TIME_ZONE, parseDate, formatDateTime, formatDate, formatTime, formatRange, dayKey, fromLocalInput,
} from './dates.js';

// Components.
export { patientPicker } from './patient-picker.js';
export { showPdf } from './pdf-viewer.js';
export { calendar } from './calendar.js';
export { uploadFile } from './upload.js';

// The console's building blocks, as module pages may use them.
export {
  h, field, newId, clear,
} from '../dom.js';
export {
  api, get, enc, ApiError,
} from '../api.js';
export {
  messageArea, errorAlert, alertBox, problemMessage, applyFieldErrors, clearFieldErrors, submitBusy, loading,
} from '../ui.js';
export { renderForm } from '../form-render.js';
export { renderAnswers, answerText } from '../form-answers.js';
export { toast, announce } from '../shell.js';
