package dev.relay.protocol.dkim;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Provider;
import java.security.Security;
import java.util.List;

/** Freshly generated keys with the JDK's provider, and the TXT records that publish them. */
record TestKeys(List<DkimSigningKey> keys, List<DkimRecord> records) {

    static final String DOMAIN = "shop.example";

    static TestKeys generate(DkimAlgorithm... algorithms) throws GeneralSecurityException {
        Provider jdk = Security.getProvider("SunRsaSign");
        Provider ec = Security.getProvider("SunEC");
        var keys = new java.util.ArrayList<DkimSigningKey>();
        var records = new java.util.ArrayList<DkimRecord>();
        int n = 0;
        for (DkimAlgorithm algorithm : algorithms) {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm.jcaKey());
            if (algorithm == DkimAlgorithm.RSA_SHA256) {
                generator.initialize(2048);
            }
            KeyPair pair = generator.generateKeyPair();
            String selector = "s" + (++n) + algorithm.keyType();
            keys.add(new DkimSigningKey(DOMAIN, selector, algorithm, pair.getPrivate(),
                    algorithm == DkimAlgorithm.RSA_SHA256 ? jdk : ec));
            records.add(DkimRecord.of(DOMAIN, selector, algorithm, pair.getPublic()));
        }
        return new TestKeys(List.copyOf(keys), List.copyOf(records));
    }
}
