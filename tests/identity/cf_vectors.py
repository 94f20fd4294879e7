#!/usr/bin/env python3
"""Independent computation of the codice fiscale test vectors.

Run once by hand (python3 tests/identity/cf_vectors.py); the vectors it prints
are copied into test_codice_fiscale.c. Written separately from the C code, from
the published odd/even tables, so that a shared mistake is unlikely.
"""

ODD = dict(zip("0123456789", [1, 0, 5, 7, 9, 13, 15, 17, 19, 21]))
ODD.update(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ",
               [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8,
                12, 14, 16, 10, 22, 25, 24, 23]))
EVEN = {c: i for i, c in enumerate("0123456789")}
EVEN.update({c: i for i, c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ")})
OMOCODE = "LMNPQRSTUV"  # replaces 0..9
DIGIT_POS = [6, 7, 9, 10, 12, 13, 14]


def check_char(first15):
    # 1-based odd positions are 0-based even indexes.
    s = sum(ODD[c] if i % 2 == 0 else EVEN[c] for i, c in enumerate(first15))
    return chr(ord("A") + s % 26)


def full(first15):
    return first15 + check_char(first15)


def omocode(cf, positions):
    chars = list(cf[:15])
    for p in positions:
        chars[p] = OMOCODE[int(chars[p])]
    return full("".join(chars))


base = "RSSMRA80A01H501"
print("known male        ", full(base), "(expect RSSMRA80A01H501U)")
print("known 1970        ", full("RSSMRA70A01H501"), "(expect ...S)")
print("female 12 Aug 85  ", full("BNCLRA85M52F205"))
print("omocode last      ", omocode(base, [14]))
print("omocode last 2    ", omocode(base, [13, 14]))
print("omocode day       ", omocode(base, [9, 10]))
print("omocode all 7     ", omocode(base, DIGIT_POS))
print("female omocode all", omocode("BNCLRA85M52F205", DIGIT_POS))
print("feb 29 leap 84    ", full("RSSMRA84B29H501"))
print("feb 29 year 00    ", full("RSSMRA00B29H501"))
print("feb 29 year 85    ", full("RSSMRA85B29H501"))
print("apr 31            ", full("RSSMRA80D31H501"))
print("female jan 31 (71)", full("BNCLRA85A71F205"))
print("female day 72     ", full("BNCLRA85A72F205"))
print("day 32            ", full("RSSMRA80A32H501"))
print("day 00            ", full("RSSMRA80A00H501"))
print("day 40            ", full("RSSMRA80A40H501"))
print("bad month K       ", full("RSSMRA80K01H501"))
print("foreign Z404      ", full("SMTJHN75C15Z404"))
