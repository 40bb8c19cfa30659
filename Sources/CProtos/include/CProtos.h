/* Umbrella header for the protoc-c output of Protos/; scripts/generate rewrites this file. */
#include <protobuf-c/protobuf-c.h>
