// Principals: the SCRAM credentials and ACLs of the local TLS stack's Kafka users, made to match a spec.
//
// Run by deploy/local/stack (SB_STACK_TLS=1) with Java's single-file launcher
// and the broker's own jars (Kafka's Admin API, no kafka-tools jar needed):
//   java -cp '<VAR>/kafka/libs/*' Principals.java BOOTSTRAP SPEC
// BOOTSTRAP is the PLAINTEXT listener (its principal, User:ANONYMOUS, is a
// super user of the local stack). SPEC has one item a line:
//   user NAME PASSWORD_FILE                  a SCRAM-SHA-512 credential (the PLAIN
//                                            password is in the broker's JAAS line)
//   allow NAME topic|group|cluster RESOURCE OPERATION   an ALLOW ACL for User:NAME
//                                            from any host, literal resource name
// The result is declarative and idempotent: every ACL of the spec exists
// afterwards, and every other ACL of a principal the spec names is deleted
// (so an ACL dropped from the stack's table goes away at the next `up`);
// ACLs of principals the spec does not name are left alone.
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

public class Principals {
    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: Principals BOOTSTRAP SPEC");
            System.exit(2);
        }
        List<UserScramCredentialAlteration> scram = new ArrayList<>();
        Set<String> principals = new HashSet<>();
        Set<AclBinding> want = new HashSet<>();
        for (String line : Files.readAllLines(Path.of(args[1]), StandardCharsets.UTF_8)) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 3 && f[0].equals("user")) {
                // the password file's first line; never printed
                String pw = Files.readAllLines(Path.of(f[2]), StandardCharsets.UTF_8).get(0).trim();
                scram.add(new UserScramCredentialUpsertion(
                    f[1], new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), pw));
                principals.add("User:" + f[1]);
            } else if (f.length == 5 && f[0].equals("allow")) {
                ResourceType type = ResourceType.fromString(f[2].toUpperCase(Locale.ROOT));
                AclOperation op = AclOperation.fromString(f[4].toUpperCase(Locale.ROOT));
                if (type == ResourceType.UNKNOWN || op == AclOperation.UNKNOWN)
                    throw new IllegalArgumentException("bad spec line: " + line);
                want.add(new AclBinding(new ResourcePattern(type, f[3], PatternType.LITERAL),
                                        new AccessControlEntry("User:" + f[1], "*", op,
                                                               AclPermissionType.ALLOW)));
                principals.add("User:" + f[1]);
            } else if (!line.isBlank()) {
                throw new IllegalArgumentException("bad spec line: " + line);
            }
        }
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000");
        try (Admin admin = Admin.create(p)) {
            if (!scram.isEmpty())
                admin.alterUserScramCredentials(scram).all().get();
            Set<AclBinding> have = new HashSet<>(admin.describeAcls(AclBindingFilter.ANY).values().get());
            List<AclBindingFilter> stale = new ArrayList<>();
            for (AclBinding b : have)
                if (principals.contains(b.entry().principal()) && !want.contains(b))
                    stale.add(b.toFilter());
            List<AclBinding> add = new ArrayList<>();
            for (AclBinding b : want)
                if (!have.contains(b))
                    add.add(b);
            if (!stale.isEmpty())
                admin.deleteAcls(stale).all().get();
            if (!add.isEmpty())
                admin.createAcls(add).all().get();
            System.out.printf("%d SCRAM credential(s); ACLs: %d wanted, %d created, %d deleted%n",
                              scram.size(), want.size(), add.size(), stale.size());
        }
    }
}
