/* A few tags of a DICOM Part 10 file: pure, bounds-checked, fuzzed
 * (tests/fuzz/fuzz_teleconsult_dicom.c). */
#ifndef TELECONSULT_DICOM_H
#define TELECONSULT_DICOM_H

#include <stddef.h>

typedef struct tc_dicom_tags {
  char patient_name[130];      /* (0010,0010) */
  char patient_id[70];         /* (0010,0020) */
  char study_date[20];         /* (0008,0020) YYYYMMDD */
  char modality[20];           /* (0008,0060) */
  char study_description[130]; /* (0008,1030) */
  char transfer_syntax[70];    /* (0002,0010) */
} tc_dicom_tags;

/* Parses `len` bytes. Returns 0 when the file is DICOM (the preamble's
 * "DICM" found) - tags not present stay "" - and -1 otherwise. Never reads
 * outside [data, data + len). */
int tc_dicom_parse(const unsigned char *data, size_t len, tc_dicom_tags *out);

#endif
