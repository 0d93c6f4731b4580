"""Terraform root modules in working copies: init, plan, apply, destroy, outputs, clean-up.

Also the Lambda packages the examples deploy, and the sandbox-account check. It knows nothing
of the emulator: a stack is pointed at a stand-in for AWS by a provider override text
(:class:`natless.deploy.workdir.Redirect`) that the caller brings.
"""
