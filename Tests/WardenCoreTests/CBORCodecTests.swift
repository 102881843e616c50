// Smithy RPC v2 CBOR: request bodies decode against the model (definite and indefinite lengths, half/single/double
// floats, tag-1 timestamps, byte strings), responses encode and decode back; malformed input is a 400.
import Foundation
import WardenAPI
import WardenCore
import XCTest
@testable import WardenProtocol

final class CBORCodecTests: XCTestCase {
    func testDecodesAPutMetricDataRequest() throws {
        // {"Namespace": "n", "MetricData": [{"MetricName": "m", "Value": 1.5, "Timestamp": 1(1700000000), "Counts": [_ 2.0]}]}
        var b: [UInt8] = [0xA2]
        func text(_ s: String) { b += [0x60 | UInt8(s.utf8.count)] + Array(s.utf8) }
        text("Namespace"); text("n")
        text("MetricData"); b += [0x81, 0xA4]
        text("MetricName"); text("m")
        text("Value"); b += [0xF9, 0x3E, 0x00]                 // half-precision 1.5
        text("Timestamp"); b += [0xC1, 0x1A, 0x65, 0x53, 0xF1, 0x00]  // tag 1, 1700000000
        text("Counts"); b += [0x9F, 0xFA, 0x40, 0x00, 0x00, 0x00, 0xFF]  // indefinite array of one single-precision 2.0
        let v = try CBORProtocol.decode(b, shape: CloudWatch.PutMetricDataInput.shape)
        let input = try CloudWatch.PutMetricDataInput(from: v)
        XCTAssertEqual(input.namespace, "n")
        let d = try XCTUnwrap(input.metricData?.first)
        XCTAssertEqual(d.metricName, "m")
        XCTAssertEqual(d.value, 1.5)
        XCTAssertEqual(d.timestamp, Date(timeIntervalSince1970: 1_700_000_000))
        XCTAssertEqual(d.counts, [2])
    }

    func testEncodesAndDecodesBack() throws {
        let out = CloudWatch.GetMetricStatisticsOutput(label: "L", datapoints: [
            CloudWatch.Datapoint(timestamp: Date(timeIntervalSince1970: 1_700_000_060), sampleCount: 3, sum: -7.25, unit: .count),
        ])
        let bytes = CBORProtocol.encode(out.toValue(), shape: CloudWatch.GetMetricStatisticsOutput.shape)
        let back = try CloudWatch.GetMetricStatisticsOutput(from: CBORProtocol.decode(bytes, shape: CloudWatch.GetMetricStatisticsOutput.shape))
        XCTAssertEqual(back.label, "L")
        XCTAssertEqual(back.datapoints?.first?.sum, -7.25)
        XCTAssertEqual(back.datapoints?.first?.timestamp, Date(timeIntervalSince1970: 1_700_000_060))
        XCTAssertEqual(back.datapoints?.first?.unit, .count)
    }

    func testMalformedBodiesAreClientErrors() {
        for body: [UInt8] in [[0xA1, 0x61], [0x9F], [0xA1, 0x01, 0x02], [0x5B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], [0x81, 0x01], [0xA0, 0x00]] {
            XCTAssertThrowsError(try CBORProtocol.decode(body, shape: CloudWatch.ListMetricsInput.shape)) { e in
                XCTAssertEqual((e as? AWSError)?.status, 400)
            }
        }
    }
}
