/* Replaced by the protoc-c output of Protos/. */
#include "CProtos.h"
