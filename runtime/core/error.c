/*
 * error.c — tasvir_strerror: decodes the project's own codes and -errno values.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

const char *tasvir_strerror(int err)
{
    switch (err) {
    case 0: return "success";
    case TASVIR_ENOTOWNER: return "handle is not the area owner's (may not write or log)";
    case TASVIR_EDESTROYED: return "handle was destroyed (area destroyed or thread unregistered)";
    case TASVIR_EBADHANDLE: return "invalid handle (NULL or not a handle of this kind)";
    case TASVIR_ENOTACTIVE: return "thread is inactive";
    case TASVIR_EBACKEND: return "backend failure or incomplete backend operations";
    case TASVIR_EPROTO: return "malformed or unexpected wire frame";
    case TASVIR_ENODEDOWN: return "owner node is declared down";
    case -EINVAL: return "invalid argument";
    case -ENOMEM: return "out of memory";
    case -ENOENT: return "no such area";
    case -EEXIST: return "name already in use";
    case -EAGAIN: return "epoch in progress, call again";
    case -EBUSY: return "resource busy or limit reached";
    case -E2BIG: return "size too large";
    case -ERANGE: return "address range outside the area";
    default: break;
    }
    if (err < 0 && err > -4096)
        return "system error (negative errno)";
    return "unknown error";
}
