/* libs/dicom: a few tags of a DICOM Part 10 file (explicit VR little
 * endian, and implicit VR when the meta header says so) - enough to show
 * what a study is before anyone opens a viewer. The bytes come from users:
 * every length is checked against what is left, and the reader is fuzzed
 * (libs/dicom/tests/fuzz_dicom.c). Pure: no host, no allocation.
 *
 * Version 1 (CONCERTO_DICOM_VERSION): only ever grows; an incompatible
 * change would be a new header concerto/dicom_v2.h (libs/README.md). */
#ifndef CONCERTO_DICOM_H
#define CONCERTO_DICOM_H

#include <stddef.h>

#define CONCERTO_DICOM_VERSION 1

#ifdef __cplusplus
extern "C" {
#endif

/* Values as printable text: trailing blanks trimmed, control bytes shown
 * as '?', the name separator '^' as a space; cut to the field's size. */
typedef struct concerto_dicom_tags {
  char patient_name[130];      /* (0010,0010) */
  char patient_id[70];         /* (0010,0020) */
  char study_date[20];         /* (0008,0020) YYYYMMDD */
  char modality[20];           /* (0008,0060) */
  char study_description[130]; /* (0008,1030) */
  char transfer_syntax[70];    /* (0002,0010) */
} concerto_dicom_tags;

/* Parses `len` bytes at `data` (borrowed) into the caller's *out. Returns 0
 * when the file is DICOM (the preamble's "DICM" found) - tags not present
 * stay "" - and -1 otherwise. Never reads outside [data, data + len). */
int concerto_dicom_parse(const unsigned char *data, size_t len,
                         concerto_dicom_tags *out);

#ifdef __cplusplus
}
#endif

#endif
