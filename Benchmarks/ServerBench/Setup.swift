import Glibc
import Interchange
import Messages
import Services
import Transport

/// `ServerBench setup`: loads the catalogue into a fresh monitord and makes the
/// tokens the load presents, the way an administrator does with monctl.
func setUp(_ arguments: Arguments) async throws {
    let port = arguments.integer("port", default: 50051)
    let admin = try readText(arguments.required("admin-token"))
        .split(whereSeparator: \.isWhitespace).first.map(String.init) ?? ""
    let document = try CatalogueDocument(jsonString: try readText(arguments.required("catalogue")))
    let channel = GRPCChannel(host: "127.0.0.1", port: port)
    let client = RPCClient(
        channel: channel, metadata: ["authorization": .string("Bearer \(admin)")],
        defaultTimeout: .seconds(30))

    _ = try await client.unary(
        CatalogueService.putDepartments, PutDepartmentsRequest(departments: document.departments))
    _ = try await client.unary(CatalogueService.putItems, PutItemsRequest(items: document.items))
    try await loadNextYearsCalendar(client)

    var lines: [String] = []
    for department in document.departments {
        var request = CreateTokenRequest()
        request.name = "bench \(department.code)"
        request.role = .department
        request.departmentCode = department.code
        let made = try await client.unary(AdminService.createToken, request)
        lines.append("department \(department.code) \(made.secret)")
    }
    var request = CreateTokenRequest()
    request.name = "bench supervisor"
    request.role = .supervisor
    let made = try await client.unary(AdminService.createToken, request)
    lines.append("supervisor \(made.secret)")
    try writeText(lines.joined(separator: "\n") + "\n", to: arguments.required("tokens"))
    await channel.close()
    say("SETUP departments=\(document.departments.count) items=\(document.items.count)")
}

/// Loads a national calendar for next year when the server has none, as an
/// operator does before the year turns. Without it, every case whose deadline
/// falls in next year (in December, most cases) raises an operational alert
/// about the missing calendar, and the load would measure a different server
/// each month. Weekends only: the benchmark needs a calendar, not the holidays.
func loadNextYearsCalendar(_ client: RPCClient) async throws {
    var now = time(nil)
    var parts = tm()
    gmtime_r(&now, &parts)
    let year = parts.tm_year + 1900 + 1
    var request = GetCalendarRequest()
    request.regionCode = "000000"
    request.year = year
    do {
        _ = try await client.unary(CatalogueService.getCalendar, request)
        return
    } catch let error as RPCError where error.code == .notFound {
        var calendar = Messages.Calendar()
        calendar.regionCode = "000000"
        calendar.year = year
        calendar.source = "benchmark: weekends only"
        var put = PutCalendarRequest()
        put.calendar = calendar
        _ = try await client.unary(CatalogueService.putCalendar, put)
    }
}
