package dev.backpressure.api;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;

/** The fixes a policy allows, and their limits. */
public class Remedies {

  /** Memory sizes as Flink writes them: a number of bytes, or with k, m or g. */
  public static final String MEMORY_SIZE = "^[0-9]+(k|m|g|kb|mb|gb)?$";

  @Default("true")
  @JsonPropertyDescription(
      "Raise the bottleneck vertex's parallelism (compute bottlenecks, blocking I/O).")
  public Boolean scaleUp = true;

  @Default("64")
  @Min(1)
  @Max(32768)
  @JsonPropertyDescription("No vertex is scaled above this parallelism.")
  public Integer maxParallelism = 64;

  @Default("4")
  @Min(1.1)
  @Max(16)
  @JsonPropertyDescription("One change multiplies a vertex's parallelism by at most this.")
  public Double maxStepFactor = 4.0;

  @Default("0.7")
  @Min(0.1)
  @Max(1)
  @JsonPropertyDescription("The busy share the scaled vertex should run at.")
  public Double targetUtilization = 0.7;

  @Default("true")
  @JsonPropertyDescription(
      "Raise network memory (too few network buffers, and for a scale-up that needs it).")
  public Boolean networkMemory = true;

  @Default("1g")
  @Pattern(MEMORY_SIZE)
  @JsonPropertyDescription("Network memory per TaskManager is never raised above this.")
  public String maxNetworkMemory = "1g";

  @Default("false")
  @JsonPropertyDescription(
      "Whether a TaskManager may get more memory in total to make room for network buffers.")
  public Boolean allowTaskManagerMemoryGrowth = false;

  @Default("true")
  @JsonPropertyDescription(
      "Restore buffers-per-channel / floating-buffers-per-gate (Flink 1.x only).")
  public Boolean buffersPerChannel = true;

  @Default("false")
  @JsonPropertyDescription(
      "Give a deadlocked iteration more buffers (brittle: delays the next deadlock).")
  public Boolean cyclicBufferFix = false;

  @Default("false")
  @JsonPropertyDescription(
      "Scale a vertex whose CPU goes to serializers (usually the types should be fixed).")
  public Boolean scaleForSerialization = false;
}
