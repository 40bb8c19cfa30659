import Testing

/// The tests that run real peers (grpcio servers, monitord, reporter
/// processes) as child processes. They run one at a time: the machines that
/// run the suite are small and shared, and a dozen peers starting at once
/// would make every timing in the whole test run (other modules' too)
/// depend on the load.
@Suite("ClientKit against real peers", .serialized)
struct RealPeers {}
