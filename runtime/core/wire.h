/*
 * wire.h — the Tasvir wire format (docs/protocol.md is the normative description).
 *
 * Every frame: Ethernet II header (dst, src, EtherType 0x88B6), then a fixed 56-byte
 * little-endian Tasvir header, then a type-specific payload.  DATA payloads are segment
 * lists: each segment is an 8-byte header {u32 first_line, u32 n_lines} followed by
 * n_lines * 64 bytes of line data.
 *
 * tasvir__wire_decode validates everything that can be validated without node state (sizes,
 * version, type, field ranges, segment bounds against the frame) and reports the reason of
 * any rejection; state-dependent checks (unknown area, line beyond area end, ...) are the
 * receiver's.  Encoding writes straight into backend frame buffers.
 */
#ifndef TASVIR_CORE_WIRE_H
#define TASVIR_CORE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TASVIR_ETHERTYPE 0x88B6u
#define TASVIR_PROTO_VERSION 1u
#define TASVIR_ETH_HDR 14u
#define TASVIR_WIRE_HDR 56u
#define TASVIR_SEG_HDR 8u
#define TASVIR_NODE_GROUP 0xffffu /* dst_node of frames sent to a multicast group */

enum tasvir_frame_type {
    TASVIR_FT_DATA = 1, /* lines of a version */
    TASVIR_FT_VEND = 2, /* end of a version: count = number of DATA frames */
    TASVIR_FT_ACK = 3,  /* subscriber -> owner: version is visible here */
    TASVIR_FT_NACK = 4, /* subscriber -> owner: I lack versions after `version` */
    TASVIR_FT_HB = 5,   /* heartbeat with version announcements */
    TASVIR_FT_CTRL = 6, /* control: op in flags bits 0..7 */
    TASVIR_FT__MAX = 6,
};

enum tasvir_ctrl_op {
    TASVIR_CTRL_SUB = 1,   /* subscribe to area_id; version = visible version */
    TASVIR_CTRL_UNSUB = 2, /* unsubscribe */
    TASVIR_CTRL_REG = 3,   /* register a directory entry (payload) with the root */
    TASVIR_CTRL__MAX = 3,
};

/* flags */
#define TASVIR_FL_OP_MASK 0x00ffu
#define TASVIR_FL_FULL 0x0100u /* DATA/VEND: base 0 resend of every line ever written */

/* Decoded header (host order). */
struct tasvir_wire_hdr {
    uint8_t proto;
    uint8_t type;
    uint16_t flags;
    uint16_t src_node;
    uint16_t dst_node;
    uint32_t area_id;
    uint32_t seq;
    uint64_t version;
    uint64_t base_version;
    uint64_t offset;
    uint32_t length;
    uint32_t count;
    uint64_t pub_ns;
};

/* Heartbeat payload entry: an owned area's latest published version. */
#define TASVIR_HB_ENTRY 24u
/* Directory entry (REG payload and directory area records):
 *   0 name[40] (NUL-padded)  40 u32 area_id  44 u16 owner  46 u16 flags (1 = in use)
 *  48 mac[6]  54 u16 reserved  56 u64 len_bytes  64 u32 sync_int_us  68 u32 sync_ext_us
 *  72 u64 reserved */
#define TASVIR_DIR_ENTRY 80u

/* Why a received frame was dropped (counted per reason in tasvir_stats.rx_drop). */
enum tasvir_drop {
    TASVIR_DROP_SHORT = 0,      /* shorter than Ethernet + Tasvir headers */
    TASVIR_DROP_ETHERTYPE,      /* not 0x88B6 */
    TASVIR_DROP_PROTO,          /* unknown protocol version */
    TASVIR_DROP_TYPE,           /* unknown frame type or control op */
    TASVIR_DROP_LENGTH,         /* length field disagrees with the frame size */
    TASVIR_DROP_FIELD,          /* a header field out of range */
    TASVIR_DROP_SEGMENT,        /* malformed segment list */
    TASVIR_DROP_NODE,           /* source node unknown, out of range, or ourselves */
    TASVIR_DROP_DST,            /* addressed to another node */
    TASVIR_DROP_AREA,           /* unknown area, or not subscribed here */
    TASVIR_DROP_BOUNDS,         /* lines beyond the area's end, count too large */
    TASVIR_DROP_OLD,            /* version already visible or superseded (duplicates too) */
    TASVIR_DROP_BASE,           /* diff against a base this node does not have */
    TASVIR_DROP_DEFER_FULL,     /* newer version while one awaits publication, queue full */
    TASVIR_DROP_NOT_OWNER,      /* control frame for an area this node does not own */
    TASVIR_DROP__COUNT
};

const char *tasvir__drop_name(int reason);

/* Decode and validate a frame.  On success fills *h and sets *payload / *payload_len and
 * returns -1; on failure returns the drop reason (>= 0). */
int tasvir__wire_decode(const uint8_t *frame, uint32_t len, struct tasvir_wire_hdr *h,
                        const uint8_t **payload, uint32_t *payload_len);

/* Validate a DATA payload's segment list against the frame (not against an area).
 * Returns -1 if well formed (and sets *lines to the total line count) or a drop reason. */
int tasvir__wire_check_segments(const uint8_t *p, uint32_t len, uint32_t *lines);

/* Write Ethernet + Tasvir headers at frame start.  Returns bytes written (70). */
uint32_t tasvir__wire_encode_hdr(uint8_t *frame, const uint8_t dst[6], const uint8_t src[6],
                                 const struct tasvir_wire_hdr *h);

/* Multicast group MAC of an area: 03:74:<area id, big-endian>. */
static inline void tasvir__area_group_mac(uint32_t area_id, uint8_t mac[6])
{
    mac[0] = 0x03;
    mac[1] = 0x74;
    mac[2] = (uint8_t)(area_id >> 24);
    mac[3] = (uint8_t)(area_id >> 16);
    mac[4] = (uint8_t)(area_id >> 8);
    mac[5] = (uint8_t)area_id;
}

static inline void tasvir__put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void tasvir__put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void tasvir__put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t tasvir__get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t tasvir__get32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t tasvir__get64(const uint8_t *p)
{
    return (uint64_t)tasvir__get32(p) | ((uint64_t)tasvir__get32(p + 4) << 32);
}

#endif /* TASVIR_CORE_WIRE_H */
