/* unicode.h — the Unicode facts the byte-level BPE tokenizer needs (internal):
 * code point classes for the pre-tokenizers' regexes, UTF-8 read and written
 * as llama.cpp does, and GPT-2's byte-level alphabet. */
#ifndef LQ_MODEL_UNICODE_H
#define LQ_MODEL_UNICODE_H

#include <stddef.h>
#include <stdint.h>

/* What a pre-tokenizer regex can ask of a code point. */
enum lq__uc_class { LQ__UC_OTHER, LQ__UC_LETTER, LQ__UC_NUMBER, LQ__UC_SPACE };

/* The generated tables (unicode_tables.c): runs of one class, by first code
 * point, ascending from 0; code points mapping to a contraction letter. */
typedef struct {
    uint32_t first;
    uint8_t cls;
} lq__uc_run;
extern const char lq__unicode_version[];
extern const lq__uc_run lq__uc_runs[];
extern const size_t lq__uc_nruns;
extern const uint8_t lq__uc_latin1[256];
extern const uint32_t lq__uc_lower_from[], lq__uc_lower_to[];
extern const size_t lq__uc_nlower;

/* The class of code point c (LQ__UC_OTHER beyond U+10FFFF). */
int lq__uc_class(uint32_t c);

/* c lowered when it lowers to one of the letters of the English contractions
 * ('s 't 're 've 'm 'll 'd), else c: all the case folding they need. */
uint32_t lq__uc_lower_contraction(uint32_t c);

/* Decode the UTF-8 character at s[0 .. len) (len >= 1) as llama.cpp does:
 * the sequence length comes from the lead byte, and a sequence that is cut
 * short or has a bad continuation byte, or a stray continuation byte, is one
 * byte read as U+FFFD. Lead bytes F8..FF, and F5..F7 (which would give a
 * code point above U+10FFFF, where llama.cpp throws), count as invalid too.
 * *used receives the bytes consumed. */
uint32_t lq__utf8_decode(const unsigned char *s, size_t len, size_t *used);

/* Write c (at most U+10FFFF) as UTF-8 into out[4]; returns the byte count. */
size_t lq__utf8_encode(uint32_t c, char *out);

/* GPT-2's byte-level alphabet: byte b is written as the code point
 * lq__byte_to_cp(b) (printable Latin-1 bytes as themselves, the other 68
 * from U+0100 up in byte order). lq__cp_to_byte inverts it, -1 for a code
 * point outside the alphabet. */
uint32_t lq__byte_to_cp(unsigned char b);
int lq__cp_to_byte(uint32_t c);

#endif
