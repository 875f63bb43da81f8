#!/usr/bin/env bash
# `npm run cluster:down`: stops the cluster nodes cluster-up.sh started (pids in
# .data/run/cluster-<port>.pid whose command line is still redis-server), and nothing else.
# Their data stays in .data/cluster; `rm -rf .data/cluster` forgets the cluster.
exec bash "$(dirname "${BASH_SOURCE[0]}")/stop-services.sh" cluster
