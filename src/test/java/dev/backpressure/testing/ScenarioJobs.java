package dev.backpressure.testing;

import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.IterativeStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.util.Collector;

/**
 * Real Flink jobs, one per situation the classifier must tell apart. Each names the operator where
 * backpressure starts, so that tests can assert on the vertex as well as on the cause.
 */
public final class ScenarioJobs {

  private ScenarioJobs() {}

  /** A throttled source feeding cheap work: no backpressure anywhere. */
  public static StreamExecutionEnvironment healthy(StreamExecutionEnvironment env) {
    env.setParallelism(2);
    env.fromSequence(0, Long.MAX_VALUE)
        .map(new Throttle(2))
        .name("throttle")
        .rebalance()
        .map(x -> x + 1)
        .name("cheap work")
        .sinkTo(new DiscardingSink<>())
        .name("discard");
    return env;
  }

  /** A map that burns CPU on every record, behind a rebalance from an unthrottled source. */
  public static StreamExecutionEnvironment cpuHeavyMap(
      StreamExecutionEnvironment env, int parallelism) {
    env.setParallelism(parallelism);
    env.fromSequence(0, Long.MAX_VALUE)
        .rebalance()
        .map(new Burn(20_000))
        .name("heavy map")
        .sinkTo(new DiscardingSink<>())
        .name("discard");
    return env;
  }

  /** A keyBy where nine records in ten carry the same key, into CPU-heavy keyed work. */
  public static StreamExecutionEnvironment hotKey(StreamExecutionEnvironment env) {
    env.setParallelism(4);
    env.fromSequence(0, Long.MAX_VALUE)
        .map(x -> x % 10 == 0 ? x : 0L)
        .name("assign key")
        .keyBy(x -> x)
        .map(new Burn(20_000))
        .name("keyed work")
        .sinkTo(new DiscardingSink<>())
        .name("discard");
    return env;
  }

  /** A sink that waits on every record, as a synchronous call to an external system would. */
  public static StreamExecutionEnvironment blockingSink(StreamExecutionEnvironment env) {
    env.setParallelism(2);
    env.fromSequence(0, Long.MAX_VALUE)
        .rebalance()
        .map(new Sleep())
        .name("blocking call")
        .sinkTo(new DiscardingSink<>())
        .name("discard");
    return env;
  }

  /**
   * Records of a type Flink cannot analyse go through Kryo on every exchange. Eight senders feed
   * one receiver: Kryo's writing costs a sender about two thirds of what reading (which allocates
   * every string again) costs the receiver, and each sender has to keep only an eighth of the
   * receiver busy, so the senders wait ~90% of each second whatever the speed of the CPU (four
   * senders waited ~830 ms/s once the gauges had settled).
   */
  public static StreamExecutionEnvironment kryoRecords(StreamExecutionEnvironment env) {
    env.setParallelism(8);
    env.fromSequence(0, Long.MAX_VALUE)
        .map(Opaque::new)
        .returns(Opaque.class)
        .name("make opaque")
        .rebalance()
        .map(Opaque::size)
        .setParallelism(1)
        .name("read opaque")
        .sinkTo(new DiscardingSink<>())
        .setParallelism(1)
        .name("discard");
    return env;
  }

  /** An iteration whose body sends back more than it receives, until the feedback loop jams. */
  public static StreamExecutionEnvironment amplifyingIteration(StreamExecutionEnvironment env) {
    env.setParallelism(2);
    IterativeStream<Long> loop = env.fromSequence(0, Long.MAX_VALUE).iterate();
    DataStream<Long> body = loop.flatMap(new Twice()).name("loop body");
    loop.closeWith(body);
    body.filter(x -> false).name("drop").sinkTo(new DiscardingSink<>()).name("discard");
    return env;
  }

  /** A wide shuffle (rebalance then keyBy) at the given parallelism. */
  public static StreamExecutionEnvironment wideShuffle(
      StreamExecutionEnvironment env, int parallelism) {
    env.setParallelism(parallelism);
    env.fromSequence(0, Long.MAX_VALUE)
        .rebalance()
        .map(x -> x * 3)
        .name("spread")
        .keyBy(x -> x % 1024)
        .map(x -> x + 1)
        .name("keyed sum")
        .sinkTo(new DiscardingSink<>())
        .name("discard");
    return env;
  }

  /**
   * A plain rebalance into cheap work, where the exchange itself limits throughput. Records of
   * {@code recordBytes} each, all the same array, so that making one costs a copy and no more.
   */
  public static StreamExecutionEnvironment rebalanceOnly(
      StreamExecutionEnvironment env, int senders, int receivers, int recordBytes) {
    env.setParallelism(senders);
    byte[] record = new byte[recordBytes];
    env.fromSequence(0, Long.MAX_VALUE)
        .map(x -> record)
        .returns(byte[].class)
        .rebalance()
        .map(r -> r.length)
        .setParallelism(receivers)
        .name("receive")
        .sinkTo(new DiscardingSink<>())
        .setParallelism(receivers)
        .name("discard");
    return env;
  }

  /**
   * Events of 1 KiB at a steady rate from one source, as a topic with a producer ahead of its
   * consumers would deliver them. Kilobyte records keep the data in flight small, so that a
   * savepoint's barrier passes a backpressured exchange in well under a second.
   */
  public static DataStream<Tuple2<Long, byte[]>> events(
      StreamExecutionEnvironment env, int perSecond) {
    return env.fromSequence(0, Long.MAX_VALUE)
        .setParallelism(1)
        .uid("sequence")
        .map(new Pace(perSecond))
        .returns(EVENT)
        .setParallelism(1)
        .uid("events")
        .name("events");
  }

  /** 1300 events/s into work that costs 1 ms of CPU each: one subtask keeps up with ~1000/s. */
  public static StreamExecutionEnvironment computeBottleneck(
      StreamExecutionEnvironment env, int parallelism) {
    env.setParallelism(parallelism);
    events(env, 1300)
        .rebalance()
        .map(new Spin(1000))
        .uid("enrich")
        .name("enrich")
        .sinkTo(new DiscardingSink<>())
        .name("discard");
    return env;
  }

  /**
   * 1300 events/s into lookups against one backend that answers one call at a time, a millisecond
   * each: more subtasks only queue at the backend, so scaling up cannot help.
   */
  public static StreamExecutionEnvironment saturatedBackend(
      StreamExecutionEnvironment env, int parallelism) {
    env.setParallelism(parallelism);
    events(env, 1300)
        .rebalance()
        .map(new SharedBackendCall())
        .uid("lookup")
        .name("lookup")
        .sinkTo(new DiscardingSink<>())
        .name("discard");
    return env;
  }

  /** 1300 events/s where nine in ten carry the same key, into 1 ms of CPU per event. */
  public static StreamExecutionEnvironment pacedHotKey(
      StreamExecutionEnvironment env, int parallelism) {
    env.setParallelism(parallelism);
    events(env, 1300)
        .keyBy(e -> e.f0 % 10 == 0 ? e.f0 : 0L, Types.LONG)
        .map(new Spin(1000))
        .uid("per-key work")
        .name("per-key work")
        .sinkTo(new DiscardingSink<>())
        .name("discard");
    return env;
  }

  /** 1300 events/s through a rebalance and a keyBy: two all-to-all exchanges to buffer. */
  public static StreamExecutionEnvironment pacedWideShuffle(
      StreamExecutionEnvironment env, int parallelism) {
    env.setParallelism(parallelism);
    events(env, 1300)
        .rebalance()
        .map(e -> e.f0)
        .uid("spread")
        .name("spread")
        .keyBy(x -> x % 1024, Types.LONG)
        .map(x -> x + 1)
        .uid("keyed sum")
        .name("keyed sum")
        .sinkTo(new DiscardingSink<>())
        .name("discard");
    return env;
  }

  static final TypeInformation<Tuple2<Long, byte[]>> EVENT =
      Types.TUPLE(Types.LONG, Types.PRIMITIVE_ARRAY(Types.BYTE));

  /**
   * Emits on a schedule and keeps the debt when held up, as a consumer with lag does: while
   * backpressured it never waits, so it shows as backpressured nearly all the time. The rate is the
   * topic's, shared by the subtasks: a source scaled up reads the same events faster when it can,
   * not more of them.
   */
  static final class Pace extends RichMapFunction<Long, Tuple2<Long, byte[]>> {
    private final int perSecond;
    private long start;
    private long emitted;
    private int subtasks;

    Pace(int perSecond) {
      this.perSecond = perSecond;
    }

    @Override
    public Tuple2<Long, byte[]> map(Long n) throws Exception {
      long now = System.nanoTime();
      if (emitted == 0) {
        start = now;
        // TaskInfo: on RuntimeContext in Flink 1.19 and later, 2.x included.
        subtasks = getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks();
      }
      long due = start + emitted++ * 1_000_000_000L * subtasks / perSecond;
      if (due - now > 1_000_000) {
        Thread.sleep((due - now) / 1_000_000);
      }
      return Tuple2.of(n, new byte[1024]);
    }
  }

  /**
   * Holds a CPU for a fixed wall-clock time per event: the capacity per subtask stays the same on a
   * busy machine, and the time shows as CPU time, as real computation would.
   */
  static final class Spin implements MapFunction<Tuple2<Long, byte[]>, Long> {
    private final long micros;

    Spin(long micros) {
      this.micros = micros;
    }

    @Override
    public Long map(Tuple2<Long, byte[]> e) {
      long end = System.nanoTime() + micros * 1000;
      while (System.nanoTime() < end) {
        Thread.onSpinWait();
      }
      return e.f0;
    }
  }

  /** A call into a backend that serves one caller at a time, shared by every subtask. */
  static final class SharedBackendCall implements MapFunction<Tuple2<Long, byte[]>, Long> {
    private static final Object BACKEND = new Object();

    @Override
    public Long map(Tuple2<Long, byte[]> e) throws Exception {
      synchronized (BACKEND) {
        Thread.sleep(1);
      }
      return e.f0;
    }
  }

  /** Sleeps one millisecond every {@code every} records: a few thousand records per second. */
  static final class Throttle implements MapFunction<Long, Long> {
    private final int every;
    private long n;

    Throttle(int every) {
      this.every = every;
    }

    @Override
    public Long map(Long x) throws Exception {
      if (++n % every == 0) {
        Thread.sleep(1);
      }
      return x;
    }
  }

  /** Spends CPU, not time waiting: a fixed number of multiply-adds per record. */
  static final class Burn implements MapFunction<Long, Long> {
    private final int rounds;

    Burn(int rounds) {
      this.rounds = rounds;
    }

    @Override
    public Long map(Long x) {
      long a = x;
      for (int i = 0; i < rounds; i++) {
        a = a * 31 + i;
      }
      return a;
    }
  }

  /** Waits a millisecond per record without using the CPU. */
  static final class Sleep implements MapFunction<Long, Long> {
    @Override
    public Long map(Long x) throws Exception {
      Thread.sleep(1);
      return x;
    }
  }

  static final class Twice implements FlatMapFunction<Long, Long> {
    @Override
    public void flatMap(Long x, Collector<Long> out) {
      out.collect(x);
      out.collect(x + 1);
    }
  }

  /**
   * No public no-argument constructor and final fields: Flink treats it as a generic type and hands
   * it to Kryo, which walks its list of strings on every exchange. The words are shared, so making
   * one costs the sender next to nothing.
   */
  public static final class Opaque {
    private static final List<String> WORDS =
        java.util.stream.IntStream.range(0, 64).mapToObj(i -> "word" + i).toList();
    private final long seed;
    private final List<String> words;

    public Opaque(long seed) {
      this.seed = seed;
      this.words = new ArrayList<>(WORDS);
    }

    public int size() {
      return words.size() + (int) (seed & 1);
    }
  }
}
