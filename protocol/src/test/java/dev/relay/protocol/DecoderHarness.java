package dev.relay.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Runs input through {@link SmtpServerDecoder} with a stand-in session that switches modes the way
 * the real one does, and renders what came out as strings. Consecutive content is joined so that
 * results can be compared across chunkings. Checks that every buffer was released.
 */
final class DecoderHarness {
    static final long MAX_SIZE = 1 << 20;

    private final long maxSize;
    private final int maxCommand;
    private final int maxText;

    DecoderHarness() {
        this(MAX_SIZE, 512, 1000);
    }

    DecoderHarness(long maxSize, int maxCommand, int maxText) {
        this.maxSize = maxSize;
        this.maxCommand = maxCommand;
        this.maxText = maxText;
    }

    /** Decodes whole, byte by byte and in random chunks; asserts all agree; returns the events. */
    List<String> decodeAllWays(String input) {
        byte[] bytes = input.getBytes(StandardCharsets.ISO_8859_1);
        List<String> whole = decode(bytes, new int[] {bytes.length});
        int[] single = new int[bytes.length];
        java.util.Arrays.fill(single, 1);
        assertThat(decode(bytes, single)).as("byte by byte").isEqualTo(whole);
        for (long seed = 1; seed <= 8; seed++) {
            assertThat(decode(bytes, randomChunks(bytes.length, new Random(seed))))
                    .as("random chunks, seed %d", seed).isEqualTo(whole);
        }
        return whole;
    }

    static int[] randomChunks(int length, Random random) {
        List<Integer> sizes = new ArrayList<>();
        int left = length;
        while (left > 0) {
            int size = Math.min(left, 1 + random.nextInt(random.nextBoolean() ? 7 : 300));
            sizes.add(size);
            left -= size;
        }
        return sizes.stream().mapToInt(Integer::intValue).toArray();
    }

    List<String> decode(byte[] bytes, int[] chunks) {
        SmtpServerDecoder decoder = new SmtpServerDecoder(maxCommand, maxText);
        Session session = new Session(decoder, maxSize);
        EmbeddedChannel channel = new EmbeddedChannel(decoder, session);
        List<ByteBuf> written = new ArrayList<>();
        int offset = 0;
        for (int chunk : chunks) {
            if (chunk == 0) {
                continue;
            }
            ByteBuf buf = Unpooled.directBuffer(chunk).writeBytes(bytes, offset, chunk);
            written.add(buf);
            channel.writeInbound(buf);
            offset += chunk;
        }
        assertThat(offset).isEqualTo(bytes.length);
        channel.finishAndReleaseAll();
        for (ByteBuf buf : written) {
            assertThat(buf.refCnt()).as("input buffer released").isZero();
        }
        for (DataContent content : session.contents) {
            assertThat(content.refCnt()).as("content released").isZero();
        }
        return session.events();
    }

    /** Mode switching as the engine's session does it, synchronously while handling the command. */
    static final class Session extends ChannelInboundHandlerAdapter {
        private final SmtpServerDecoder decoder;
        private final long maxSize;
        private final List<String> events = new ArrayList<>();
        private final List<DataContent> contents = new ArrayList<>();
        private final StringBuilder content = new StringBuilder();
        private boolean inBdat;

        Session(SmtpServerDecoder decoder, long maxSize) {
            this.decoder = decoder;
            this.maxSize = maxSize;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            SmtpInbound inbound = (SmtpInbound) msg;
            if (inbound instanceof DataContent data) {
                contents.add(data);
                content.append(data.content().toString(StandardCharsets.ISO_8859_1));
                data.release();
                return;
            }
            flushContent();
            if (inbound instanceof SmtpCommand command) {
                events.add("CMD " + command.verb() + " [" + command.argument() + "]");
                switch (command.verb()) {
                    case DATA -> decoder.expectData(maxSize);
                    case AUTH -> decoder.expectAuthResponse();
                    case STARTTLS -> decoder.discardBufferedInput();
                    case BDAT -> bdat(command.argument());
                    default -> { }
                }
            } else if (inbound instanceof CommandLineError error) {
                events.add("ERR " + error.kind());
            } else if (inbound instanceof DataEnd end) {
                events.add("END " + end.stats());
            } else if (inbound instanceof ChunkEnd end) {
                events.add("CHUNK " + end.chunkSize() + " " + end.stats());
            } else if (inbound instanceof AuthResponse auth) {
                events.add("AUTH [" + auth.line() + "]");
            }
        }

        private void bdat(String argument) {
            String[] words = argument.split(" ");
            long size = Long.parseLong(words[0]);
            boolean last = words.length > 1 && words[1].equalsIgnoreCase("LAST");
            if (size > 0) {
                decoder.expectChunk(size, maxSize, !inBdat, last);
            }
            inBdat = !last;
        }

        private void flushContent() {
            if (content.length() > 0) {
                events.add("DATA " + content);
                content.setLength(0);
            }
        }

        List<String> events() {
            flushContent();
            return events;
        }
    }

    static String stats(long size, boolean exceeded, boolean longLine, boolean nul, boolean eightBit, long bare) {
        return new ContentStats(size, exceeded, longLine, nul, eightBit, bare).toString();
    }
}
