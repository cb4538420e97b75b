/* le.h — little-endian integers in file bytes (internal): the one set of
 * helpers every file reader and writer uses (GGUF, safetensors, the
 * calibration files). Byte by byte, so they work at any address. */
#ifndef LQ_IO_LE_H
#define LQ_IO_LE_H

#include <stdint.h>

static inline uint16_t lq__le16_get(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t lq__le32_get(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t lq__le64_get(const uint8_t *p)
{
    return (uint64_t)lq__le32_get(p) | (uint64_t)lq__le32_get(p + 4) << 32;
}

static inline void lq__le32_put(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static inline void lq__le64_put(uint8_t *p, uint64_t v)
{
    lq__le32_put(p, (uint32_t)v);
    lq__le32_put(p + 4, (uint32_t)(v >> 32));
}

#endif
