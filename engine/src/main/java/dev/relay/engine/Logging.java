package dev.relay.engine;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.spi.AppenderAttachable;
import dev.relay.engine.config.LogConfig;
import java.util.Iterator;
import org.slf4j.LoggerFactory;

/**
 * Applies {@code log.format}. logback.xml writes text lines; for {@code json} the encoder of every stream appender
 * (behind the async one) becomes logback's own {@link JsonEncoder}: one JSON object per line with timestamp,
 * level, thread, logger and the formatted message (not the raw pattern, not the arguments again), so that a log
 * shipper needs no parsing rules. Done once at start, before the relay logs anything of its own.
 */
final class Logging {
    private Logging() {
    }

    static void apply(LogConfig config) {
        if (config.format() != LogConfig.Format.JSON
                || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
            return;
        }
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        useJson(context, root);
    }

    private static void useJson(LoggerContext context, AppenderAttachable<ILoggingEvent> attachable) {
        for (Iterator<Appender<ILoggingEvent>> it = attachable.iteratorForAppenders(); it.hasNext(); ) {
            Appender<ILoggingEvent> appender = it.next();
            if (appender instanceof OutputStreamAppender<ILoggingEvent> stream) {
                JsonEncoder json = new JsonEncoder();
                json.setContext(context);
                json.setWithContext(false);
                json.setWithSequenceNumber(false);
                json.setWithNanoseconds(false);
                json.setWithMessage(false);
                json.setWithArguments(false);
                json.setWithFormattedMessage(true);
                json.start();
                // not stopped for the swap: a stopped appender drops events; each event is encoded by one encoder
                stream.setEncoder(json);
            } else if (appender instanceof AppenderAttachable<?> nested) {
                @SuppressWarnings("unchecked")
                AppenderAttachable<ILoggingEvent> events = (AppenderAttachable<ILoggingEvent>) nested;
                useJson(context, events);
            }
        }
    }
}
