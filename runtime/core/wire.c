/*
 * wire.c — encoding and context-free validation of Tasvir frames (see wire.h and
 * docs/protocol.md).  Nothing read from the wire is used before it is bounds-checked here
 * or, for state-dependent fields, by the receiver in esync.c.
 */
#include "wire.h"

const char *tasvir__drop_name(int r)
{
    switch (r) {
    case TASVIR_DROP_SHORT: return "short";
    case TASVIR_DROP_ETHERTYPE: return "ethertype";
    case TASVIR_DROP_PROTO: return "proto_version";
    case TASVIR_DROP_TYPE: return "type";
    case TASVIR_DROP_LENGTH: return "length";
    case TASVIR_DROP_FIELD: return "field";
    case TASVIR_DROP_SEGMENT: return "segment";
    case TASVIR_DROP_NODE: return "node";
    case TASVIR_DROP_DST: return "dst";
    case TASVIR_DROP_AREA: return "area";
    case TASVIR_DROP_BOUNDS: return "bounds";
    case TASVIR_DROP_OLD: return "old";
    case TASVIR_DROP_BASE: return "base";
    case TASVIR_DROP_DEFER_FULL: return "defer_full";
    case TASVIR_DROP_NOT_OWNER: return "not_owner";
    default: return "?";
    }
}

uint32_t tasvir__wire_encode_hdr(uint8_t *f, const uint8_t dst[6], const uint8_t src[6],
                                 const struct tasvir_wire_hdr *h)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[12] = (uint8_t)(TASVIR_ETHERTYPE >> 8);
    f[13] = (uint8_t)(TASVIR_ETHERTYPE & 0xff);
    uint8_t *p = f + TASVIR_ETH_HDR;
    p[0] = TASVIR_PROTO_VERSION;
    p[1] = h->type;
    tasvir__put16(p + 2, h->flags);
    tasvir__put16(p + 4, h->src_node);
    tasvir__put16(p + 6, h->dst_node);
    tasvir__put32(p + 8, h->area_id);
    tasvir__put32(p + 12, h->seq);
    tasvir__put64(p + 16, h->version);
    tasvir__put64(p + 24, h->base_version);
    tasvir__put64(p + 32, h->offset);
    tasvir__put32(p + 40, h->length);
    tasvir__put32(p + 44, h->count);
    tasvir__put64(p + 48, h->pub_ns);
    return TASVIR_ETH_HDR + TASVIR_WIRE_HDR;
}

int tasvir__wire_check_segments(const uint8_t *p, uint32_t len, uint32_t *lines)
{
    uint32_t off = 0, total = 0;
    if (len == 0)
        return TASVIR_DROP_SEGMENT;
    while (off < len) {
        if (len - off < TASVIR_SEG_HDR)
            return TASVIR_DROP_SEGMENT;
        uint32_t first = tasvir__get32(p + off);
        uint32_t n = tasvir__get32(p + off + 4);
        (void)first;
        off += TASVIR_SEG_HDR;
        /* n == 0 and lengths that overrun the payload are malformed */
        if (n == 0 || n > (len - off) / 64)
            return TASVIR_DROP_SEGMENT;
        off += n * 64;
        total += n;
    }
    *lines = total;
    return -1;
}

int tasvir__wire_decode(const uint8_t *f, uint32_t len, struct tasvir_wire_hdr *h,
                        const uint8_t **payload, uint32_t *payload_len)
{
    if (len < TASVIR_ETH_HDR + TASVIR_WIRE_HDR)
        return TASVIR_DROP_SHORT;
    if (((uint32_t)f[12] << 8 | f[13]) != TASVIR_ETHERTYPE)
        return TASVIR_DROP_ETHERTYPE;
    const uint8_t *p = f + TASVIR_ETH_HDR;
    h->proto = p[0];
    if (h->proto != TASVIR_PROTO_VERSION)
        return TASVIR_DROP_PROTO;
    h->type = p[1];
    h->flags = tasvir__get16(p + 2);
    h->src_node = tasvir__get16(p + 4);
    h->dst_node = tasvir__get16(p + 6);
    h->area_id = tasvir__get32(p + 8);
    h->seq = tasvir__get32(p + 12);
    h->version = tasvir__get64(p + 16);
    h->base_version = tasvir__get64(p + 24);
    h->offset = tasvir__get64(p + 32);
    h->length = tasvir__get32(p + 40);
    h->count = tasvir__get32(p + 44);
    h->pub_ns = tasvir__get64(p + 48);
    if (h->type == 0 || h->type > TASVIR_FT__MAX)
        return TASVIR_DROP_TYPE;
    uint32_t avail = len - TASVIR_ETH_HDR - TASVIR_WIRE_HDR;
    /* Ethernet pads short frames to 60 bytes: the payload may be shorter than the frame,
     * never longer. */
    if (h->length > avail)
        return TASVIR_DROP_LENGTH;
    if (h->src_node >= 1024u || (h->dst_node >= 1024u && h->dst_node != TASVIR_NODE_GROUP))
        return TASVIR_DROP_NODE;
    *payload = p + TASVIR_WIRE_HDR;
    *payload_len = h->length;
    uint32_t lines;
    int r;
    switch (h->type) {
    case TASVIR_FT_DATA:
        if (h->count == 0 || h->seq >= h->count || h->version == 0 ||
            h->base_version >= h->version || (h->offset & 63) != 0)
            return TASVIR_DROP_FIELD;
        if ((r = tasvir__wire_check_segments(*payload, h->length, &lines)) >= 0)
            return r;
        break;
    case TASVIR_FT_VEND:
        if (h->count == 0 || h->version == 0 || h->base_version >= h->version || h->length)
            return TASVIR_DROP_FIELD;
        break;
    case TASVIR_FT_ACK:
    case TASVIR_FT_NACK:
        if (h->length)
            return TASVIR_DROP_FIELD;
        break;
    case TASVIR_FT_HB:
        if (h->length % TASVIR_HB_ENTRY)
            return TASVIR_DROP_LENGTH;
        break;
    case TASVIR_FT_CTRL: {
        unsigned op = h->flags & TASVIR_FL_OP_MASK;
        if (op == 0 || op > TASVIR_CTRL__MAX)
            return TASVIR_DROP_TYPE;
        if (op == TASVIR_CTRL_REG ? h->length != TASVIR_DIR_ENTRY : h->length != 0)
            return TASVIR_DROP_LENGTH;
        break;
    }
    default:
        return TASVIR_DROP_TYPE;
    }
    return -1;
}
