"""monogen's private descriptor pool.

monogen's TensorFlow-named protos are subsets of TensorFlow's. Registering them in
protobuf's default pool would clash with TensorFlow's own definitions whenever both
are imported in one process, so every module in this package registers here.
"""

from google.protobuf import descriptor_pool, wrappers_pb2

POOL = descriptor_pool.DescriptorPool()
# model.proto imports google/protobuf/wrappers.proto; a private pool must hold it too.
POOL.AddSerializedFile(wrappers_pb2.DESCRIPTOR.serialized_pb)
