"""The footfall Functions app: thin blueprints plus the plain, testable logic they call."""
