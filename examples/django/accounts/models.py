"""The control silo: organizations, users and who belongs where (one instance worldwide)."""
from django.db import models


class Organization(models.Model):
    name = models.CharField(max_length=64)
    slug = models.SlugField(unique=True)


class User(models.Model):
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=64)


class OrganizationMember(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    user = models.ForeignKey(User, on_delete=models.CASCADE)
    role = models.CharField(max_length=16, default="member")
