// ClientKit: the Swift library a department's approval system links to report
// its cases to Approval Monitor and to follow the alerts they raise.
//
// - `MonitorClient`: one async method per call of the interface standard.
// - `EventReporter`: a durable spool that never loses a reported event.
// - `AlertWatcher`: a watch of alert transitions that resumes exactly.
//
// The message types (`CaseEvent`, `Alert`, ...) come from the Messages module
// and are re-exported, so `import ClientKit` is all a vendor writes. So are the
// few transport types that appear in ClientKit's API.

@_exported import Messages
@_exported import struct Transport.ClientConfiguration
@_exported import struct Transport.ClientKeepalive
@_exported import struct Transport.Metadata
@_exported import struct Transport.StatusCode
