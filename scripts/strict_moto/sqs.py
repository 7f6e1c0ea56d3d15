"""SQS: a standard queue answers in no fixed order."""

from __future__ import annotations




# ---------------------------------------------------------------------------------------
# SQS
# ---------------------------------------------------------------------------------------


def sqs_standard_queues_as_aws_does() -> None:
    """ReceiveMessage on a standard queue promises no order and no complete page: "standard
    queues provide best-effort ordering ... messages might be delivered in an order different
    from which they were sent", and a receive "samples a subset of servers" (SQS Developer
    Guide, "Amazon SQS standard queues" and "Amazon SQS short and long polling"). moto always
    answers the oldest visible messages first, so a reader that leaves messages visible
    (VisibilityTimeout=0, API Reference ReceiveMessage) would see the same ten forever there
    and nowhere else; here each receive of a standard queue meets its visible messages in a
    new order. FIFO queues keep theirs."""
    import random

    from moto.sqs.models import SQSBackend

    original = SQSBackend.receive_message

    def receive_message(self, queue_name, *args, **kwargs):
        queue = self.get_queue(queue_name)
        if not queue.fifo_queue:
            with queue._messages_lock:
                random.shuffle(queue._messages)
        return original(self, queue_name, *args, **kwargs)

    SQSBackend.receive_message = receive_message
