// libFuzzer's driver, for the fuzz targets' main.swift: SwiftPM links an executable's own entry point as `main`,
// so libFuzzer's `main` is not used and each target hands its argument list and input callback to this.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
