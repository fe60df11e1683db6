package org.fpcds.fhirserver;

import java.util.Map;
import java.util.Properties;

/** Spring properties every run needs; command-line arguments override them. */
final class ServerDefaults {

	private ServerDefaults() {}

	static Properties properties() {
		Properties p = new Properties();
		p.putAll(Map.of(
			"server.address", "127.0.0.1",
			"server.port", "8080",
			// HAPI's configuration classes reference each other (HAPI #3867).
			"spring.main.allow-circular-references", "true",
			"spring.main.allow-bean-definition-overriding", "true",
			"spring.main.banner-mode", "off",
			"spring.flyway.enabled", "false",
			"fpcds.h2.url", "jdbc:h2:mem:fpcds;DB_CLOSE_DELAY=-1"
		));
		return p;
	}
}
