package dev.relay.engine.dkim;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import dev.relay.protocol.dkim.DkimAlgorithm;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.Signature;
import org.junit.jupiter.api.Test;

class DkimProvidersTest {

    @Test
    void theNativeProviderIsChosenWhereItLoadsAndItsSignaturesVerifyWithTheJdk() throws Exception {
        DkimProviders chosen = DkimProviders.choose();
        boolean nativeLoads = AmazonCorrettoCryptoProvider.INSTANCE.getLoadingError() == null;
        byte[] data = "dkim-signature:v=1; a=...".getBytes(StandardCharsets.US_ASCII);
        for (DkimAlgorithm algorithm : DkimAlgorithm.values()) {
            if (nativeLoads) {
                assertThat(chosen.provider(algorithm).getName()).isEqualTo("AmazonCorrettoCryptoProvider");
            }
            KeyPair pair = DkimProviders.generate(algorithm);
            Signature signer = Signature.getInstance(algorithm.jcaSignature(), chosen.provider(algorithm));
            signer.initSign(chosen.privateKey(algorithm, pair.getPrivate().getEncoded()));
            signer.update(data);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm.jcaSignature(),
                    DkimProviders.jdkOnly().provider(algorithm));
            verifier.initVerify(pair.getPublic());
            verifier.update(data);
            assertThat(verifier.verify(signature)).as(algorithm.tag()).isTrue();
        }
    }
}
