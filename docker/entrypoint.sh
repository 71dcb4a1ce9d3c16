#!/bin/sh
# Entry point of the training image: `train-and-promote` (the default) trains with the given
# config and promotes the new run through the gate; `train-and-promote:remote` does the same with
# the :remote tasks, for data or a registry under s3://; anything else is passed to `deno task`.
set -eu
case "${1:-train-and-promote}" in
  train-and-promote)
    [ "$#" -gt 0 ] && shift
    deno task train "$@"
    # A run that does not pass the gate leaves production as it was; that is not a failure of
    # the container, so its message is printed and the exit status kept at 0.
    deno task promote || echo "promotion refused by the gate; production unchanged"
    ;;
  train-and-promote:remote)
    shift
    deno task train:remote "$@"
    deno task promote:remote || echo "promotion refused by the gate; production unchanged"
    ;;
  *)
    exec deno task "$@"
    ;;
esac
