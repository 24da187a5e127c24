/**
 * io_uring without liburing: {@link io.pollkit.uring.Ring} maps one ring's SQ and CQ and prepares, submits and
 * reaps entries with the memory ordering the kernel documents; {@link io.pollkit.uring.Availability} says whether
 * io_uring works here and why not, {@link io.pollkit.uring.Probe} which opcodes the kernel has;
 * {@link io.pollkit.uring.BufferRing} is a provided buffer ring for multishot recv. Linux only, FFM only. The readiness
 * backend ({@code io_uring} in {@link io.pollkit.poller.Backend}) and the completion servers are built on it.
 */
package io.pollkit.uring;
