package org.fpcds.fhirserver;

import org.hl7.fhir.utilities.http.ManagedWebAccess;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.context.PropertyPlaceholderAutoConfiguration;
import org.springframework.boot.autoconfigure.web.servlet.ServletWebServerFactoryAutoConfiguration;
import org.springframework.context.annotation.Import;

/**
 * A HAPI FHIR JPA server (R4, in-memory H2) for fpcds round-trip tests.
 *
 * <p>Only the embedded servlet container is auto-configured; everything else
 * (data source, JPA, the FHIR servlet) is wired explicitly in
 * {@link JpaServerConfig} and {@link FhirServletConfig}, so Spring Boot's own
 * JPA, Flyway and batch auto-configurations cannot interfere with HAPI's.
 * The FHIR base is {@code http://ADDRESS:PORT/fhir}; pass
 * {@code --server.port=PORT} (0 picks a free port) and
 * {@code --server.address=127.0.0.1}.
 */
@SpringBootConfiguration
@ImportAutoConfiguration({
	PropertyPlaceholderAutoConfiguration.class,
	ServletWebServerFactoryAutoConfiguration.class
})
@Import({JpaServerConfig.class, FhirServletConfig.class, ReadyAnnouncer.class})
public class Application {

	public static void main(String[] args) {
		// Offline by construction: the FHIR core libraries may not open any URL.
		ManagedWebAccess.setAccessPolicy(ManagedWebAccess.WebAccessPolicy.PROHIBITED);
		SpringApplication app = new SpringApplication(Application.class);
		app.setDefaultProperties(ServerDefaults.properties());
		app.run(args);
	}
}
