#define _GNU_SOURCE
#include <string.h>
#include "CLinuxSupport.h"

const char *tabby_errno_name(int errnum) {
    return strerrorname_np(errnum);
}
