import Messages
import Services
import Testing

/// Service descriptors and the reflection index, as clients and the server
/// will use them.
@Suite struct ServiceDescriptorTests {
    @Test func methodsCarryPathKindAndTypes() {
        let report = IntakeService.reportEvents
        #expect(report.path == "/monitor.v1.IntakeService/ReportEvents")
        #expect(report.kind == .bidirectionalStreaming)
        #expect(report.info.requestType.protoMessageName == "monitor.v1.CaseEvent")
        #expect(report.info.responseType.protoMessageName == "monitor.v1.EventAck")

        #expect(IntakeService.reportEvent.kind == .unary)
        #expect(AlertService.watchAlerts.kind == .serverStreaming)
        #expect(UpstreamService.forward.kind == .bidirectionalStreaming)
        #expect(GRPCHealthV1.Health.watch.path == "/grpc.health.v1.Health/Watch")
        #expect(GRPCReflectionV1Alpha.ServerReflection.serverReflectionInfo.path
            == "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
    }

    @Test func everyServiceIsListedWithItsMethods() throws {
        let names = InterfaceStandard.services.map(\.name)
        #expect(names == [
            "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection", "monitor.v1.AdminService",
            "monitor.v1.AlertService", "monitor.v1.CaseService", "monitor.v1.CatalogueService",
            "monitor.v1.ComplaintService", "monitor.v1.EvaluationService",
            "monitor.v1.IntakeService", "monitor.v1.UpstreamService",
        ])
        let alerts = try #require(InterfaceStandard.service(named: "monitor.v1.AlertService"))
        #expect(alerts.fileName == "monitor/v1/alerts.proto")
        #expect(alerts.methods.count == 11)
        #expect(InterfaceStandard.method(path: "/monitor.v1.CaseService/GetCase")?.responseType
            .protoMessageName == "monitor.v1.CaseView")
        #expect(InterfaceStandard.method(path: "/monitor.v1.CaseService/Nope") == nil)
    }

    @Test func symbolsLeadToFilesWithTheirImports() throws {
        #expect(InterfaceStandard.symbols["monitor.v1.IntakeService"] == "monitor/v1/intake.proto")
        #expect(InterfaceStandard.symbols["monitor.v1.IntakeService.ReportEvents"]
            == "monitor/v1/intake.proto")
        #expect(InterfaceStandard.symbols["grpc.health.v1.HealthCheckResponse.ServingStatus"]
            == "grpc/health/v1/health.proto")
        #expect(InterfaceStandard.symbols["monitor.v1.Level"] == "monitor/v1/common.proto")

        let files = try #require(InterfaceStandard.filesForSymbol("monitor.v1.IntakeService"))
        #expect(files.map(\.name) == [
            "monitor/v1/intake.proto", "monitor/v1/events.proto",
            "google/protobuf/timestamp.proto", "monitor/v1/common.proto",
        ])
        #expect(InterfaceStandard.filesForSymbol("monitor.v1.Nothing") == nil)
        #expect(InterfaceStandard.files.count == 14)
    }

    @Test func descriptorsAreServedAsReflectionResponses() throws {
        // A reflection answer carries the descriptors as a bytes field.
        let files = try #require(InterfaceStandard.filesForFile("monitor/v1/common.proto"))
        let response = GRPCReflectionV1.ServerReflectionResponse(
            messageResponse: .fileDescriptorResponse(.init(
                fileDescriptorProto: files.map(\.serializedDescriptor))))
        let decoded = try GRPCReflectionV1.ServerReflectionResponse(
            serializedBytes: response.serializedBytes())
        #expect(decoded == response)
        // A FileDescriptorProto starts with field 1, the file's name.
        let first = files[0].serializedDescriptor
        #expect(Array(first.prefix(2)) == [0x0A, UInt8("monitor/v1/common.proto".utf8.count)])
    }
}
