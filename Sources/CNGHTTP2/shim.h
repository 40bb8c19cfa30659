#include <nghttp2/nghttp2.h>
// The event loop's kernel interfaces, which the Swift Glibc module leaves out.
#include <sys/epoll.h>
#include <sys/eventfd.h>
