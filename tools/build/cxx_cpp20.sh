#!/bin/sh
# Compiler wrapper for building mmcv 2.1.0 against torch >= 2.14, whose headers need C++20.
# mmcv's setup.py appends -std=c++17 after everything else; rewrite it to -std=c++20.
for arg; do
  shift
  case "$arg" in
    -std=c++17|-std=c++14) set -- "$@" -std=c++20 ;;
    *) set -- "$@" "$arg" ;;
  esac
done
exec "${REAL_CXX:-g++}" "$@"
