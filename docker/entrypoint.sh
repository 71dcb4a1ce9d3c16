#!/bin/sh
# Entry point of the training image: `train-and-promote` (the default) trains with the given
# config and promotes the new run through the gate; anything else is passed to `deno task`.
set -eu
if [ "${1:-train-and-promote}" = "train-and-promote" ]; then
  [ "$#" -gt 0 ] && shift
  deno task train "$@"
  # A run that does not pass the gate leaves production as it was; that is not a failure of
  # the container, so its message is printed and the exit status kept at 0.
  deno task promote || echo "promotion refused by the gate; production unchanged"
else
  exec deno task "$@"
fi
