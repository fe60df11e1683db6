package org.fpcds.fhirserver;

import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.stereotype.Component;

/**
 * Prints {@code LISTENING http://ADDRESS:PORT/fhir} on standard output once the
 * server accepts requests, so that a parent process started with
 * {@code --server.port=0} learns the port without polling or racing for it.
 */
@Component
public class ReadyAnnouncer implements ApplicationListener<ApplicationReadyEvent> {

	@Override
	public void onApplicationEvent(ApplicationReadyEvent event) {
		if (event.getApplicationContext() instanceof WebServerApplicationContext web) {
			String address = event.getApplicationContext().getEnvironment().getProperty("server.address", "127.0.0.1");
			System.out.println("LISTENING http://" + address + ":" + web.getWebServer().getPort() + "/fhir");
			System.out.flush();
		}
	}
}
