// Uploading one file as the raw request body with a progress callback (the
// core's upload routes stream the bytes to the blob store, docs/blobs.md).
// fetch() reports no upload progress, so this is XMLHttpRequest; it sends
// the session's CSRF token like api() and fails with the same ApiError.
// Part of the module kit (kit/v1.js, docs/web-kit.md).
import { ApiError } from '../api.js';
import { session } from '../shell.js';

/**
 * POSTs `file` (a File or Blob) to `url` with its type as Content-Type
 * (application/octet-stream when it has none). onProgress(fraction 0..1) is
 * called while it is sent. Resolves with the answer's JSON (null when
 * empty); rejects with an ApiError (status 0 when the server could not be
 * reached; 413 too large, 415 a refused type).
 */
export function uploadFile(url, file, { onProgress } = {}) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.withCredentials = true;
    xhr.setRequestHeader('Accept', 'application/json, application/problem+json');
    xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    const csrf = session.user && session.user.csrf_token;
    if (csrf) xhr.setRequestHeader('X-CSRF-Token', csrf);
    if (onProgress) {
      xhr.upload.addEventListener('progress', (e) => {
        if (e.lengthComputable) onProgress(e.loaded / e.total);
      });
    }
    xhr.addEventListener('load', () => {
      let data = null;
      try { data = xhr.responseText ? JSON.parse(xhr.responseText) : null; } catch { data = null; }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else {
        const retry = xhr.getResponseHeader('Retry-After');
        reject(new ApiError(xhr.status, data, retry ? Number(retry) : undefined));
      }
    });
    xhr.addEventListener('error', () => reject(new ApiError(0, { code: 'network' })));
    xhr.send(file);
  });
}
