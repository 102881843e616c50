// Long polls across the nodes sharing one database.
import WardenStorage

extension SQSService {
    /// A message sent through another node wakes the long polls waiting here as soon as its notification arrives.
    public func join(_ bus: ClusterBus) {
        signals.join(bus, topic: "sqs")
    }
}
