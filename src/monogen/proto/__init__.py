"""Generated protobuf modules (see ``protos/`` and ``make protos``).

The message classes live in monogen's private descriptor pool, so they can be
imported side by side with TensorFlow and Monolith.
"""
