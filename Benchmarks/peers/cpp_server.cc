// The reference peer: a C++ gRPC server (Debian's libgrpc++) with the benchmark
// service, built by scripts/bench-transport. Prints "READY <port>" when listening on
// 127.0.0.1 and serves until killed.

#include <cstdio>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "bench.grpc.pb.h"

namespace {

class BenchService final : public bench::Bench::Service {
  grpc::Status Unary(grpc::ServerContext*, const bench::Bytes* request,
                     bench::Bytes* reply) override {
    reply->set_data(request->data());
    return grpc::Status::OK;
  }

  grpc::Status Stream(grpc::ServerContext*,
                      grpc::ServerReaderWriter<bench::Bytes, bench::Bytes>* stream) override {
    bench::Bytes message;
    while (stream->Read(&message)) {
      if (!stream->Write(message)) break;
    }
    return grpc::Status::OK;
  }
};

}  // namespace

int main() {
  BenchService service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  std::printf("READY %d\n", port);
  std::fflush(stdout);
  server->Wait();
  return 0;
}
