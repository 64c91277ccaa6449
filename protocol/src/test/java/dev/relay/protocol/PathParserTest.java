package dev.relay.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class PathParserTest {

    @ParameterizedTest(name = "MAIL {0}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
        // argument                                  | mailbox            | size | body           | utf8  | auth
        "FROM:<a@example.com>                         | a@example.com      | -1   | SEVEN_BIT      | false | -",
        "from:<a@example.com>                         | a@example.com      | -1   | SEVEN_BIT      | false | -",
        "FROM: <a@example.com>                        | a@example.com      | -1   | SEVEN_BIT      | false | -",
        "FROM:<>                                      | -                  | -1   | SEVEN_BIT      | false | -",
        "FROM:<> SIZE=100 BODY=8BITMIME               | -                  | 100  | EIGHT_BIT_MIME | false | -",
        "FROM:<a@b.c> size=0 body=binarymime          | a@b.c              | 0    | BINARY_MIME    | false | -",
        "FROM:<a@b.c>  BODY=7BIT  SIZE=5              | a@b.c              | 5    | SEVEN_BIT      | false | -",
        "FROM:<@relay.example,@r2.example:u@b.c>      | u@b.c              | -1   | SEVEN_BIT      | false | -",
        "FROM:<\"john doe\"@b.c>                       | \"john doe\"@b.c   | -1   | SEVEN_BIT      | false | -",
        "FROM:<\"a>b\\\"c\"@b.c>                       | \"a>b\\\"c\"@b.c   | -1   | SEVEN_BIT      | false | -",
        "FROM:<a.b+tag@[192.0.2.1]>                   | a.b+tag@[192.0.2.1] | -1  | SEVEN_BIT      | false | -",
        "FROM:<a@[IPv6:2001:db8::1]>                  | a@[IPv6:2001:db8::1] | -1 | SEVEN_BIT      | false | -",
        "FROM:<a@b.c> AUTH=<>                         | a@b.c              | -1   | SEVEN_BIT      | false | <>",
        "FROM:<a@b.c> AUTH=e+3Dmc2@b.c RET=HDRS ENVID=QQ314159 | a@b.c     | -1   | SEVEN_BIT      | false | e+3Dmc2@b.c",
        "FROM:<jos\u00e9@b\u00fccher.example> SMTPUTF8 | jos\u00e9@b\u00fccher.example | -1 | SEVEN_BIT | true | -",
        "FROM:<a@b.c> SMTPUTF8 BODY=8BITMIME           | a@b.c              | -1   | EIGHT_BIT_MIME | true  | -",
    })
    void acceptedSenders(String argument, String mailbox, long size, MailParameters.Body body, boolean utf8,
                         String auth) {
        PathResult result = PathParser.mailFrom(argument, true);
        assertThat(result).isInstanceOf(PathResult.Ok.class);
        PathResult.Ok ok = (PathResult.Ok) result;
        assertThat(ok.mailbox() == null ? null : ok.mailbox().toString()).isEqualTo(mailbox);
        assertThat(ok.parameters()).isEqualTo(new MailParameters(size, body, utf8, auth));
    }

    @ParameterizedTest(name = "MAIL {0}")
    @CsvSource(delimiter = '|', value = {
        "TO:<a@b.c>                        | 501 5.5.4",
        "FROM<a@b.c>                       | 501 5.5.4",
        "FROM:a@b.c                        | 501 5.5.4",
        "FROM:<a@b.c                       | 501 5.5.4",
        "FROM:<a@b.c>SIZE=10               | 501 5.5.4",
        "FROM:<a@b.c> SIZE=ten             | 501 5.5.4",
        "FROM:<a@b.c> SIZE=                | 501 5.5.4",
        "FROM:<a@b.c> SIZE=99999999999999999999 | 501 5.5.4",
        "FROM:<a@b.c> BODY=9BIT            | 501 5.5.4",
        "FROM:<a@b.c> SIZE=1 SIZE=2        | 501 5.5.4",
        "FROM:<a@b.c> SMTPUTF8=yes         | 501 5.5.4",
        "FROM:<a@b.c> AUTH=a=b             | 501 5.5.4",
        "FROM:<a@b.c> RET=ALL              | 501 5.5.4",
        "FROM:<a@b.c> FOO=bar              | 555 5.5.4",
        "FROM:<a@b.c> NOTIFY=NEVER         | 555 5.5.4",
        "FROM:<a@b.c> \u017fIZE=10          | 555 5.5.4",
        "FROM:<a@b.c> BODY=8B\u0131TMIME     | 501 5.5.4",
        "FROM:<a@>                         | 501 5.1.7",
        "FROM:<@b.c>                       | 501 5.1.7",
        "FROM:<a>                          | 501 5.1.7",
        "FROM:<postmaster>                 | 501 5.1.7",
        "FROM:<a..b@b.c>                   | 501 5.1.7",
        "FROM:<.a@b.c>                     | 501 5.1.7",
        "FROM:<a.@b.c>                     | 501 5.1.7",
        "FROM:<a b@b.c>                    | 501 5.1.7",
        "FROM:<a@b..c>                     | 501 5.1.7",
        "FROM:<a@-b.c>                     | 501 5.1.7",
        "FROM:<a@b-.c>                     | 501 5.1.7",
        "FROM:<a@b_c.d>                    | 501 5.1.7",
        "FROM:<a@b.c.>                     | 501 5.1.7",
        "FROM:<a@[300.1.1.1]>              | 501 5.1.7",
        "FROM:<a@[IPv6:zz::1]>             | 501 5.1.7",
        "FROM:<a@[1.2.3.4>                 | 501 5.1.7",
        "FROM:<\"unterminated@b.c>         | 501 5.5.4",
        "FROM:<@relay.example:>            | 501 5.1.7",
        "FROM:<@relay_bad:a@b.c>           | 501 5.1.7",
        "FROM:<jos\u00e9@b.c>              | 553 5.6.7",
        "FROM:<a@b\u00fccher.example>      | 553 5.6.7",
    })
    void rejectedSenders(String argument, String reply) {
        assertThat(rejection(PathParser.mailFrom(argument, true))).isEqualTo(reply);
    }

    @ParameterizedTest(name = "MAIL {0}")
    @CsvSource(delimiter = '|', value = {
        "FROM:<a@b.c> SMTPUTF8                | 555 5.5.4",
        "FROM:<jos\u00e9@b.c> SMTPUTF8        | 555 5.5.4",
    })
    void smtputf8OnlyWhenOffered(String argument, String reply) {
        assertThat(rejection(PathParser.mailFrom(argument, false))).isEqualTo(reply);
    }

    @ParameterizedTest(name = "RCPT {0}")
    @CsvSource(delimiter = '|', value = {
        "TO:<b@example.com>                         | b@example.com | b | example.com",
        "to: <B@Example.COM>                        | B@Example.COM | B | Example.COM",
        "TO:<postmaster>                            | postmaster    | postmaster | ''",
        "TO:<PostMaster>                            | PostMaster    | PostMaster | ''",
        "TO:<postmaster@example.com>                | postmaster@example.com | postmaster | example.com",
        "TO:<@hop.example:b@c.d>                    | b@c.d         | b | c.d",
        "TO:<b@c.d> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;b@c.d | b@c.d | b | c.d",
        "TO:<b@c.d> NOTIFY=NEVER                    | b@c.d         | b | c.d",
    })
    void acceptedRecipients(String argument, String text, String local, String domain) {
        PathResult result = PathParser.rcptTo(argument, false);
        assertThat(result).isInstanceOf(PathResult.Ok.class);
        PathResult.Ok ok = (PathResult.Ok) result;
        assertThat(ok.mailbox()).isEqualTo(new Mailbox(local, domain));
        assertThat(ok.mailbox().toString()).isEqualTo(text);
        assertThat(ok.parameters()).isEqualTo(MailParameters.NONE);
    }

    @ParameterizedTest(name = "RCPT {0}")
    @CsvSource(delimiter = '|', value = {
        "FROM:<b@c.d>                       | 501 5.5.4",
        "TO:b@c.d                           | 501 5.5.4",
        "TO:<>                              | 501 5.1.3",
        "TO:<b>                             | 501 5.1.3",
        "TO:<@hop.example:postmaster>       | 501 5.1.3",
        "TO:<b@c..d>                        | 501 5.1.3",
        "TO:<b@c.d> SIZE=10                 | 555 5.5.4",
        "TO:<b@c.d> NOTIFY=SOMETIMES        | 501 5.5.4",
        "TO:<b@c.d> NOTIFY=NEVER NOTIFY=NEVER | 501 5.5.4",
        "TO:<b@c.d> ORCPT=nosemicolon       | 501 5.5.4",
        "TO:<jos\u00e9@c.d>                 | 553 5.6.7",
    })
    void rejectedRecipients(String argument, String reply) {
        assertThat(rejection(PathParser.rcptTo(argument, false))).isEqualTo(reply);
    }

    @ParameterizedTest
    @CsvSource({"jos\u00e9@c.d", "b@b\u00fccher.example", "\u7528\u6237@\u4f8b\u5b50.\u5e7f\u544a"})
    void utf8RecipientsInAnSmtputf8Transaction(String address) {
        PathResult result = PathParser.rcptTo("TO:<" + address + ">", true);
        assertThat(((PathResult.Ok) result).mailbox()).hasToString(address);
    }

    @ParameterizedTest
    @CsvSource({"64, true", "65, false"})
    void localPartLimit(int length, boolean ok) {
        PathResult result = PathParser.rcptTo("TO:<" + "a".repeat(length) + "@b.c>", false);
        assertThat(result instanceof PathResult.Ok).isEqualTo(ok);
    }

    @ParameterizedTest
    @CsvSource({"63, true", "64, false"})
    void labelLimit(int length, boolean ok) {
        PathResult result = PathParser.rcptTo("TO:<a@" + "b".repeat(length) + ".c>", false);
        assertThat(result instanceof PathResult.Ok).isEqualTo(ok);
    }

    @ParameterizedTest
    @CsvSource({"256, true", "257, false"})
    void pathLimit(int pathLength, boolean ok) {
        // "<" + 60-octet local part + "@" + domain + ">"; the domain made of 50-octet labels
        int domainLength = pathLength - 63;
        StringBuilder domain = new StringBuilder();
        while (domain.length() < domainLength) {
            if (domain.length() > 0) {
                domain.append('.');
            }
            domain.append("d".repeat(Math.min(50, domainLength - domain.length())));
        }
        String path = "a".repeat(60) + "@" + domain;
        assertThat(path.length() + 2).isEqualTo(pathLength);
        PathResult result = PathParser.rcptTo("TO:<" + path + ">", false);
        assertThat(result instanceof PathResult.Ok).isEqualTo(ok);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "mail.example.com | true", "localhost | true", "[192.0.2.1] | true", "[IPv6:::1] | true",
        "'' | false", "bad_host | false", "a..b | false", "[1.2.3] | false", "-a.b | false",
        "mail.example.com  | true",
    })
    void heloArgument(String argument, boolean valid) {
        assertThat(PathParser.isValidHeloArgument(argument)).isEqualTo(valid);
    }

    private static String rejection(PathResult result) {
        assertThat(result).isInstanceOf(PathResult.Rejected.class);
        SmtpReply reply = ((PathResult.Rejected) result).reply();
        return reply.code() + " " + reply.status();
    }
}
