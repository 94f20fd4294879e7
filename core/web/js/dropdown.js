// Accessible dropdown menus without Popper. Debian's bootstrap.bundle.js is
// built without Popper 2 (it expects a global that Debian's libjs-popper.js,
// version 1, does not provide), so Bootstrap's own dropdowns throw; these
// use Bootstrap's CSS (.dropdown-menu.show, [data-bs-popper="static"]).
//
// Markup: <div class="dropdown"><button data-dropdown aria-expanded="false">
//   <ul class="dropdown-menu">…items…</ul></div>
// data-keep-open on the menu keeps it open on clicks inside (notifications).
// Keys: Enter/Space toggle, ArrowDown/ArrowUp move, Home/End, Escape closes.

const ITEMS = '.dropdown-item:not(.disabled):not(:disabled)';

function menuOf(btn) {
  return btn.parentElement ? btn.parentElement.querySelector(':scope > .dropdown-menu') : null;
}

function items(menu) {
  return [...menu.querySelectorAll(ITEMS)].filter((el) => el.offsetParent !== null);
}

export function openDropdown(btn) {
  const menu = menuOf(btn);
  if (!menu) return;
  closeAll(btn);
  menu.setAttribute('data-bs-popper', 'static');
  menu.classList.add('show');
  btn.classList.add('show');
  btn.setAttribute('aria-expanded', 'true');
}

export function closeDropdown(btn, focus = false) {
  const menu = menuOf(btn);
  if (!menu || !menu.classList.contains('show')) return;
  menu.classList.remove('show');
  btn.classList.remove('show');
  btn.setAttribute('aria-expanded', 'false');
  if (focus) btn.focus();
}

function closeAll(except) {
  document.querySelectorAll('[data-dropdown][aria-expanded="true"]').forEach((b) => {
    if (b !== except) closeDropdown(b);
  });
}

function openButtonOf(el) {
  const menu = el.closest('.dropdown-menu.show');
  if (!menu) return null;
  return menu.parentElement.querySelector(':scope > [data-dropdown]');
}

function move(menu, from, step) {
  const list = items(menu);
  if (!list.length) return;
  let i = list.indexOf(from);
  if (step === 'first') i = 0;
  else if (step === 'last') i = list.length - 1;
  else i = i < 0 ? (step > 0 ? 0 : list.length - 1) : (i + step + list.length) % list.length;
  list[i].focus();
}

let installed = false;

export function installDropdowns() {
  if (installed) return;
  installed = true;
  document.addEventListener('click', (e) => {
    const btn = e.target.closest('[data-dropdown]');
    if (btn) {
      if (btn.getAttribute('aria-expanded') === 'true') closeDropdown(btn);
      else openDropdown(btn);
      return;
    }
    document.querySelectorAll('[data-dropdown][aria-expanded="true"]').forEach((b) => {
      const menu = menuOf(b);
      if (!menu) return;
      if (!menu.contains(e.target)) closeDropdown(b);
      else if (!menu.hasAttribute('data-keep-open') && e.target.closest(ITEMS)) closeDropdown(b);
    });
  });
  // Capture phase on window, and the keys we handle stop there: Bootstrap's
  // own (Popper-based) dropdown handler listens for them on every
  // .dropdown-menu, in the capture phase on document.
  window.addEventListener('keydown', (e) => {
    const target = e.target;
    if (!(target instanceof Element)) return;
    if (['ArrowDown', 'ArrowUp', 'Escape'].includes(e.key)
        && (target.closest('[data-dropdown]') || target.closest('.dropdown-menu'))) e.stopPropagation();
    const toggle = target.closest('[data-dropdown]');
    if (toggle && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
      e.preventDefault();
      openDropdown(toggle);
      move(menuOf(toggle), null, e.key === 'ArrowDown' ? 'first' : 'last');
      return;
    }
    const btn = toggle || openButtonOf(target);
    if (!btn) {
      if (e.key === 'Escape') closeAll(null);
      return;
    }
    const menu = menuOf(btn);
    if (e.key === 'Escape') {
      e.preventDefault();
      closeDropdown(btn, true);
    } else if (!toggle && menu) {
      if (e.key === 'ArrowDown') { e.preventDefault(); move(menu, target, 1); }
      else if (e.key === 'ArrowUp') { e.preventDefault(); move(menu, target, -1); }
      else if (e.key === 'Home') { e.preventDefault(); move(menu, target, 'first'); }
      else if (e.key === 'End') { e.preventDefault(); move(menu, target, 'last'); }
      else if (e.key === 'Tab') closeDropdown(btn);
    }
  }, true);
  // Leaving a menu with the keyboard or focus moving elsewhere closes it.
  document.addEventListener('focusin', (e) => {
    document.querySelectorAll('[data-dropdown][aria-expanded="true"]').forEach((b) => {
      const dd = b.parentElement;
      if (dd && !dd.contains(e.target)) closeDropdown(b);
    });
  });
}
