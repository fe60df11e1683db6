package org.fpcds.validator;

/** Bad input to a command (arguments or files); printed as one line, exit status 2. */
final class UsageException extends RuntimeException {

	UsageException(String message) {
		super(message);
	}

	UsageException(String message, Throwable cause) {
		super(message, cause);
	}
}
