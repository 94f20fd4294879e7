// Documents of a session (R3.8): upload from the device (file input or drag
// and drop; the raw bytes, ?filename=, with progress: the kit's uploadFile),
// the list and an integrated viewer (PDF with the kit's pdf.js viewer,
// images inline, DICOM metadata, DOCX download).
import {
  h, newId, get, enc, messageArea, errorAlert, problemMessage, showPdf, uploadFile,
} from '/static/js/kit/v1.js';
import {
  BASE, tc, tcOpt, fmtBytes, fmtDateTime, emptyText, patientName,
} from './common.js';

function kindOf(doc) {
  const ct = String(doc.content_type || '').toLowerCase();
  const name = String(doc.filename || '').toLowerCase();
  if (ct.includes('pdf') || name.endsWith('.pdf')) return 'pdf';
  if (ct.startsWith('image/') && !ct.includes('dicom')) return 'image';
  if (ct.includes('dicom') || name.endsWith('.dcm')) return 'dicom';
  if (ct.includes('wordprocessingml') || name.endsWith('.docx')) return 'docx';
  return 'other';
}

function uploadError(err, file) {
  if (err.status === 413) return tc('docs.tooLarge', { name: file.name });
  if (err.status === 415) return tc('docs.unsupported', { name: file.name });
  return `${file.name}: ${problemMessage(err)}`;
}

export function documentsPanel(state) {
  const { id } = state;
  const root = h('div', { 'data-testid': 'documents' });
  const msg = messageArea();
  const list = h('div', { 'data-testid': 'documents-list' });
  const viewer = h('section', { class: 'tc-viewer mt-3 d-none', 'aria-labelledby': 'tc-viewer-title', 'data-testid': 'viewer' });
  const progressBox = h('div', { class: 'mt-2', 'aria-live': 'polite' });
  const fid = newId('doc');
  const input = h('input', {
    class: 'form-control', type: 'file', id: `${fid}-file`, multiple: true, 'data-testid': 'doc-file',
    accept: '.pdf,.jpg,.jpeg,.png,.docx,.dcm,application/pdf,image/jpeg,image/png,application/dicom',
  });
  const patientSel = h('select', { class: 'form-select', id: `${fid}-patient`, 'data-testid': 'doc-patient' });
  const drop = h('div', { class: 'tc-dropzone', tabindex: '0', role: 'button', 'aria-describedby': `${fid}-help`, 'data-testid': 'dropzone' },
    h('span', {}, tc('docs.drop')));
  let docs = [];

  function fillPatients() {
    const cur = patientSel.value;
    patientSel.replaceChildren(h('option', { value: '' }, tc('docs.noPatient')),
      ...(state.session.patients || []).map((p) => h('option', { value: p.id, selected: String(p.id) === cur }, patientName(p.patient))));
  }

  async function sendFiles(files) {
    if (!files || !files.length) return;
    msg.clear();
    for (const file of files) {
      const bar = h('div', {
        class: 'progress-bar', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '0',
        'aria-label': tc('docs.uploading', { name: file.name }),
      });
      bar.style.width = '0%';
      const row = h('div', { class: 'mb-2', 'data-upload': file.name },
        h('div', { class: 'small' }, tc('docs.uploading', { name: file.name })),
        h('div', { class: 'progress' }, bar));
      progressBox.append(row);
      const p = patientSel.value ? `&patient=${enc(patientSel.value)}` : '';
      try {
        await uploadFile(`${BASE}/sessions/${enc(id)}/documents?filename=${enc(file.name)}${p}`, file, {
          onProgress: (f) => {
            const pc = Math.round(f * 100);
            bar.style.width = `${pc}%`;
            bar.setAttribute('aria-valuenow', String(pc));
          },
        });
        bar.style.width = '100%';
        bar.setAttribute('aria-valuenow', '100');
        bar.classList.add('bg-success');
        state.announce(tc('docs.uploaded', { name: file.name }));
        row.remove();
      } catch (err) {
        row.remove();
        msg.show(h('div', { class: 'alert alert-danger', role: 'alert', 'data-testid': 'upload-error', 'data-status': String(err.status) }, uploadError(err, file)));
      }
    }
    input.value = '';
    await reload();
  }

  input.addEventListener('change', () => sendFiles([...input.files]));
  drop.addEventListener('click', () => input.click());
  drop.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      input.click();
    }
  });
  ['dragenter', 'dragover'].forEach((ev) => drop.addEventListener(ev, (e) => {
    e.preventDefault();
    drop.classList.add('over');
  }));
  ['dragleave', 'drop'].forEach((ev) => drop.addEventListener(ev, () => drop.classList.remove('over')));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    sendFiles([...((e.dataTransfer && e.dataTransfer.files) || [])]);
  });

  const contentUrl = (d, download) => {
    const u = d.url || `${BASE}/sessions/${enc(id)}/documents/${enc(d.id)}/content`;
    return download ? `${u}${u.includes('?') ? '&' : '?'}download=1` : u;
  };

  async function view(d) {
    viewer.classList.remove('d-none');
    viewer.dataset.document = d.id;
    const body = h('div', { class: 'tc-viewer-body', 'data-kind': kindOf(d) });
    viewer.replaceChildren(
      h('div', { class: 'd-flex flex-wrap align-items-center gap-2 mb-2' },
        h('h3', { class: 'h6 mb-0 flex-grow-1', id: 'tc-viewer-title', tabindex: '-1' }, tc('viewer.title', { name: d.filename })),
        h('a', { class: 'btn btn-sm btn-outline-primary', href: contentUrl(d, true), download: d.filename || '' }, tc('docs.download')),
        h('button', { type: 'button', class: 'btn btn-sm btn-outline-secondary', onclick: () => { viewer.classList.add('d-none'); viewer.replaceChildren(); } }, tc('viewer.close'))),
      body);
    viewer.querySelector('h3').focus();
    const kind = kindOf(d);
    if (kind === 'pdf') {
      await showPdf(body, contentUrl(d, false));
    } else if (kind === 'image') {
      body.append(h('img', { class: 'img-fluid border', src: contentUrl(d, false), alt: d.filename || tc('viewer.image') }));
      body.dataset.rendered = 'true';
    } else if (kind === 'dicom') {
      try {
        const r = await get(`${BASE}/sessions/${enc(id)}/documents/${enc(d.id)}/dicom`);
        const tags = (r && r.tags) || {};
        const keys = Object.keys(tags).filter((k) => tags[k] !== '' && tags[k] !== null && tags[k] !== undefined);
        body.append(keys.length ? h('dl', { class: 'row mb-0', 'data-testid': 'dicom-tags' },
          keys.flatMap((k) => [h('dt', { class: 'col-sm-4' }, tcOpt(`dicom.${k}`, k)),
            h('dd', { class: 'col-sm-8' }, typeof tags[k] === 'object' ? JSON.stringify(tags[k]) : String(tags[k]))]))
          : emptyText(tc('viewer.noTags')));
      } catch (err) {
        body.append(errorAlert(err));
      }
      body.dataset.rendered = 'true';
    } else {
      body.append(h('p', {}, tc('viewer.noPreview'), ' ',
        h('a', { href: contentUrl(d, true), download: d.filename || '' }, tc('docs.downloadName', { name: d.filename }))));
      body.dataset.rendered = 'true';
    }
  }

  function draw() {
    const pts = state.session.patients || [];
    // session_patient_id names the session patient; patient_id the registry's.
    const patientOf = (d) => (d.session_patient_id ? pts.find((p) => String(p.id) === String(d.session_patient_id)) : null)
      || (d.patient_id ? pts.find((p) => String(p.patient.id) === String(d.patient_id)) : null);
    list.replaceChildren(docs.length ? h('div', { class: 'table-responsive' }, h('table', { class: 'table table-sm bg-white align-middle tc-stack' },
      h('caption', {}, tc('docs.caption', { n: docs.length })),
      h('thead', {}, h('tr', {}, ['docs.name', 'docs.type', 'docs.size', 'docs.patient', 'docs.uploadedBy']
        .map((k) => h('th', { scope: 'col' }, tc(k))), h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, tc('docs.actions'))))),
      h('tbody', {}, docs.map((d) => {
        const sp = patientOf(d);
        return h('tr', { 'data-document': d.id, 'data-filename': d.filename },
          h('td', { class: 'text-break' }, d.filename),
          h('td', { 'data-label': tc('docs.type') }, tc(`docs.kind.${kindOf(d)}`)),
          h('td', { class: 'text-nowrap', 'data-label': tc('docs.size') }, fmtBytes(d.length)),
          h('td', { 'data-label': tc('docs.patient') }, sp ? patientName(sp.patient) : '—'),
          h('td', { class: 'small', 'data-label': tc('docs.uploadedBy') }, [d.uploaded_by && (d.uploaded_by.display_name || d.uploaded_by), fmtDateTime(d.uploaded_at)].filter(Boolean).join(' · ')),
          h('td', { class: 'text-end text-nowrap' },
            h('button', {
              type: 'button', class: 'btn btn-sm btn-outline-primary me-1', 'aria-label': tc('docs.viewName', { name: d.filename }),
              'data-testid': 'doc-view', onclick: () => view(d),
            }, tc('docs.view')),
            h('a', {
              class: 'btn btn-sm btn-outline-secondary', href: contentUrl(d, true), download: d.filename || '',
              'aria-label': tc('docs.downloadName', { name: d.filename }),
            }, tc('docs.download'))));
      }))))
      : emptyText(tc('docs.none')));
    list.dataset.count = String(docs.length);
  }

  async function reload() {
    try {
      const r = await get(`${BASE}/sessions/${enc(id)}/documents`);
      docs = (r && r.documents) || [];
      draw();
    } catch (err) {
      list.replaceChildren(errorAlert(err));
    }
  }

  const closed = () => state.session.status === 'closed' || state.session.status === 'cancelled';
  const uploader = h('div', { class: 'mb-3', 'data-testid': 'uploader' },
    h('div', { class: 'row g-2' },
      h('div', { class: 'col-md-6' }, h('label', { class: 'form-label', for: input.id }, tc('docs.file')), input,
        h('div', { class: 'form-text', id: `${fid}-help` }, tc('docs.help'))),
      h('div', { class: 'col-md-6' }, h('label', { class: 'form-label', for: patientSel.id }, tc('docs.forPatient')), patientSel)),
    drop, progressBox);
  root.append(uploader, msg.el, list, viewer);
  docs = state.session.documents || [];
  return {
    el: root,
    update() {
      fillPatients();
      uploader.classList.toggle('d-none', closed());
      draw();
    },
    reload,
  };
}
