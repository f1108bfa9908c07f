// Declarations only (include/FuzzSupport.h); a C target needs one source file.
#include "FuzzSupport.h"
