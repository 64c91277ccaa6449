package dev.relay.engine.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.relay.engine.config.DeliveryConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class SitesTest {
    private final Sites sites = new Sites(DeliveryConfig.DEFAULT_SITE_SUFFIXES);

    @Test
    void aConfiguredSuffixNamesTheSiteOnALabelBoundary() {
        assertThat(sites.siteOf("aspmx.l.google.com")).isEqualTo("google.com");
        assertThat(sites.siteOf("alt1.aspmx.l.google.com.")).isEqualTo("google.com");
        assertThat(sites.siteOf("gmail-smtp-in.l.google.com")).isEqualTo("google.com");
        assertThat(sites.siteOf("mx.notgoogle.com")).isEqualTo("notgoogle.com");
        assertThat(sites.siteOf("google.com")).isEqualTo("google.com");
    }

    @Test
    void theLongestMatchingSuffixWins() {
        assertThat(sites.siteOf("example-com.mail.protection.outlook.com")).isEqualTo("protection.outlook.com");
        assertThat(new Sites(List.of("outlook.com", "protection.outlook.com"))
                .siteOf("x.mail.protection.outlook.com")).isEqualTo("protection.outlook.com");
        assertThat(sites.siteOf("eur.olc.outlook.com")).isEqualTo("outlook.com");
    }

    @Test
    void otherwiseTheRegistrableNameOfTheHost() {
        assertThat(sites.siteOf("mx1.mail.example.net")).isEqualTo("example.net");
        assertThat(sites.siteOf("mx.example.co.uk")).isEqualTo("example.co.uk");
        assertThat(sites.siteOf("mx.example.com.au")).isEqualTo("example.com.au");
        assertThat(sites.siteOf("mx.bigisp.de")).isEqualTo("bigisp.de");
        assertThat(sites.siteOf("localhost")).isEqualTo("localhost");
        assertThat(sites.siteOf("example.org")).isEqualTo("example.org");
    }

    @Test
    void siteNamesAreLowerCase() {
        assertThat(sites.siteOf("ASPMX.L.Google.COM")).isEqualTo("google.com");
        assertThat(sites.siteOf("MX.Example.NET")).isEqualTo("example.net");
        assertThat(new Sites(List.of("Mailhost.Example")).siteOf("in.MAILHOST.example")).isEqualTo("mailhost.example");
    }
}
