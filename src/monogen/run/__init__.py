"""Running one generation as many shards: on this machine's cores or on a Dask cluster.

A run of ``N`` batches is cut into contiguous batch ranges (``shards``), each
written to its own file by a worker (``task``). Randomness is keyed by batch
(``gen.generator``), so the shards concatenated are the one-file output of the same
seed, whichever engine ran them (``local``: worker processes; ``dask``: an existing
cluster). ``sharded.write_shards`` runs the tasks, removes every shard if one
fails, and writes the ``manifest`` last; ``verify`` checks a shard set against it.
"""
