package dev.backpressure.diagnosis;

import java.time.Duration;

/**
 * Whether and how long the job has been backpressured over the window.
 *
 * @param backpressured the latest snapshot shows backpressure (or a job failing for a
 *     backpressure-related reason)
 * @param sustained it held long enough (by samples, share and duration) to act on
 * @param backpressuredSamples snapshots of the window that showed it
 * @param samples snapshots in the window
 * @param duration time from the first to the last backpressured snapshot of the window
 * @param worstVertex the most backpressured vertex's name, or empty
 * @param worstBackPressuredMsPerSecond its backpressure, ms per second (max over subtasks)
 */
public record Symptom(
    boolean backpressured,
    boolean sustained,
    int backpressuredSamples,
    int samples,
    Duration duration,
    String worstVertex,
    double worstBackPressuredMsPerSecond) {}
