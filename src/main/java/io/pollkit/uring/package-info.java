/**
 * io_uring without liburing: {@link io.pollkit.uring.Ring} maps one ring's SQ and CQ and prepares, submits and
 * reaps entries with the memory ordering the kernel documents; {@link io.pollkit.uring.Availability} says whether
 * io_uring works here and why not. Linux only, FFM only. Not exported from the module yet: the readiness backend
 * and the completion server that use it are still to come, and the API may change with them.
 */
package io.pollkit.uring;
