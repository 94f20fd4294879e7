// A tiny real PDF for upload tests: one page of Helvetica text lines, with a
// correct cross-reference table, so pdf.js renders it and the server's
// content sniffing types it as application/pdf; and the check that a viewer
// really drew it.

function pdfEscape(s) {
  return Buffer.from(String(s).replace(/[\\()]/g, (c) => `\\${c}`), 'latin1');
}

/** A valid one-page PDF with the given lines of text (Helvetica, WinAnsi). */
export function makePdf(lines, title = 'Documento') {
  const content = Buffer.concat([
    Buffer.from('BT /F1 14 Tf 50 780 Td 18 TL\n'),
    ...lines.map((l) => Buffer.concat([Buffer.from('('), pdfEscape(l), Buffer.from(") '\n")])),
    Buffer.from('ET\n'),
  ]);
  const objs = [
    Buffer.from('<< /Type /Catalog /Pages 2 0 R >>'),
    Buffer.from('<< /Type /Pages /Kids [3 0 R] /Count 1 >>'),
    Buffer.from('<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>'),
    Buffer.from('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>'),
    Buffer.concat([Buffer.from(`<< /Length ${content.length} >>\nstream\n`), content, Buffer.from('endstream')]),
    Buffer.concat([Buffer.from('<< /Title ('), pdfEscape(title), Buffer.from(') >>')]),
  ];
  const parts = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  const offsets = [];
  let len = parts[0].length;
  objs.forEach((o, i) => {
    offsets.push(len);
    const b = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`), o, Buffer.from('\nendobj\n')]);
    parts.push(b);
    len += b.length;
  });
  const xref = [`xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`,
    ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`),
    `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n${len}\n%%EOF\n`].join('');
  parts.push(Buffer.from(xref));
  return Buffer.concat(parts);
}

/** Whether a <canvas> (a playwright locator) has dark pixels: the page was drawn, not left blank. */
export function canvasPainted(canvas) {
  return canvas.evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 0; i < d.length; i += 4) if (d[i] < 128 && d[i + 3] > 0) return true;
    return false;
  });
}
